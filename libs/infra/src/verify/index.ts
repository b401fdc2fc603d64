export * from './gateway-call.js';
export * from './bundle-index.js';
export * from './gateway-log-reader.js';
export * from './http-result-source.js';
export * from './verify-cli.js';
export * from './bounded-log-reader.js';
export * from './verified-modules.js';
export * from './verify-runner.js';
