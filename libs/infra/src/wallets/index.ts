export * from './wallet-file.js';
export * from './wallets.js';
export * from './item-signer.js';
