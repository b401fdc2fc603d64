export * from './env/index.js';
export * from './database/index.js';
export * from './arweave/index.js';
export * from './redis/index.js';
export * from './queues/index.js';
export * from './wallets/index.js';
export * from './embedded/index.js';
export * from './nest/index.js';
