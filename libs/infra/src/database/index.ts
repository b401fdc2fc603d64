export * from './database-url.js';
export * from './migrate.js';
export * from './prisma.js';
export * from './sql-pool.js';
export * from './group-writer.js';
export * from './stored-tags.js';
