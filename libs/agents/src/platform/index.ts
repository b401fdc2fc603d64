export * from './config-plan.js';
export * from './lifecycle.js';
export * from './topic-events.js';
export * from './agent-figures.js';
