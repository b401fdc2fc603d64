/** The IdentityVault (users' ao keys, sealed with IDENTITY_KEY). */
export const IDENTITY_VAULT = Symbol('IDENTITY_VAULT');
