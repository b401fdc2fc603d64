export * from './cron-registry.js';
export * from './cron-ticker.js';
export * from './tick-signer.js';
