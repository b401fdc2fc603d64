export * from './wallet-file.js';
export * from './wallets.js';
