export * from './redis.js';
export * from './heartbeats.js';
export * from './evaluation-events.js';
