export * from './prisma-push.store.js';
