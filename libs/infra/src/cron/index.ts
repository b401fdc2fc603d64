export * from './cron-registry.js';
export * from './cron-ticker.js';
