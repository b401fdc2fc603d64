export * from './prisma-compute.store.js';
export * from './module-loader.js';
export * from './process-lock.js';
export * from './compute-unit.factory.js';
export * from './evaluation-pool.js';
export * from './prisma-checkpoint.store.js';
export * from './gzip-checkpoint.codec.js';
export * from './checkpoint-publisher.js';
