export * from './agent-events.projection.js';
