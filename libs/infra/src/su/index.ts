export * from './prisma-scheduler.store.js';
export * from './outbox-drainer.js';
export * from './verify-pool.js';
