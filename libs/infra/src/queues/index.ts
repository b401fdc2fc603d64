export * from './queues.js';
export * from './pipeline-queues.js';
export * from './evaluation-owners.js';
export * from './dead-queues.js';
