export * from './database-url.js';
export * from './migrate.js';
export * from './prisma.js';
