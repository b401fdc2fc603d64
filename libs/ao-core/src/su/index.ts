export * from './ports.js';
export * from './append-buffer.js';
export * from './assignment-tags.js';
export * from './scheduler.js';
export * from './su-json.js';
export * from './in-memory-scheduler.store.js';
export * from './assignment-signer.js';
export * from './coalesced-kicks.js';
