export * from './env.js';
export * from './env.schema.js';
