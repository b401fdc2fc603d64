export * from './cron-interval.js';
