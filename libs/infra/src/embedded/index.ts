export * from './arlocal.js';
export * from './local-service.js';
export * from './gateway-process.js';
