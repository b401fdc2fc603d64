export * from './redis.js';
export * from './heartbeats.js';
