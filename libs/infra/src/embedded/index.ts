export * from './arlocal.js';
export * from './local-service.js';
