export * from './prisma-scheduler.store.js';
export * from './outbox-drainer.js';
