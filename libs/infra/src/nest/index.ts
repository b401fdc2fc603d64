export * from './tokens.js';
export * from './infra.module.js';
export * from './shutdown.js';
