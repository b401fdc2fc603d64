/** Injection tokens of the adapters every app shares. */
export const ENV = Symbol('ENV');
export const PRISMA = Symbol('PRISMA');
export const REDIS = Symbol('REDIS');
export const GATEWAY = Symbol('GATEWAY');
export const WALLETS = Symbol('WALLETS');
export const HEARTBEATS = Symbol('HEARTBEATS');
export const PIPELINE = Symbol('PIPELINE');
/** A pg pool (createSqlPool) for the statements run per message. */
export const SQL_POOL = Symbol('SQL_POOL');
