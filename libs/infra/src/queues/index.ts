export * from './queues.js';
export * from './pipeline-queues.js';
export * from './evaluation-owners.js';
