export * from './ports.js';
export * from './messenger.js';
