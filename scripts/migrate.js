// `npm run migrate`: applies pending migrations to DATABASE_URL (they also apply at every start).
import { defaultMigrationsDir, loadEnv, migrate } from '@ao/infra';

const env = loadEnv();
const report = await migrate(env.DATABASE_URL, defaultMigrationsDir());
console.log(report.applied.length ? `applied: ${report.applied.join(', ')}` : `up to date (${report.alreadyApplied} migrations)`);
