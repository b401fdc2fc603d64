export * from './queues.js';
export * from './pipeline-queues.js';
