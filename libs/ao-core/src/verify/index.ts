export * from './ports.js';
export * from './check-assignments.js';
export * from './compare-results.js';
export * from './verify-process.js';
export * from './check-item.js';
export * from './resume-checkpoint.js';
