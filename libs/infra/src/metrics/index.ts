export * from './pipeline-counters.js';
export * from './counting-pg-client.js';
export * from './count-redis-commands.js';
