export * from './pipeline-counters.js';
export * from './counting-clients.js';
