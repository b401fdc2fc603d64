export * from './accounts.js';
export * from './identity-vault.js';
export * from './password.js';
