// `npm run admin:create -- <email> [--trader] [--wallet <address>]`: creates a user (an admin by
// default) in DATABASE_URL, asking for the password on stdin (or ADMIN_PASSWORD), with a new
// platform-held ao key sealed under IDENTITY_KEY, or the wallet address given.
import { createInterface } from 'node:readline/promises';
import { IdentityVault, createPrismaClient, createUser, defaultMigrationsDir, loadEnv, migrate } from '@ao/infra';

const args = process.argv.slice(2);
const email = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--wallet');
const wallet = args.includes('--wallet') ? args[args.indexOf('--wallet') + 1] : undefined;
const role = args.includes('--trader') ? 'trader' : 'admin';
if (!email) {
  console.error('usage: npm run admin:create -- <email> [--trader] [--wallet <ao address>]   (password from ADMIN_PASSWORD or stdin)');
  process.exit(64);
}
const env = loadEnv();
let password = process.env.ADMIN_PASSWORD ?? '';
if (!password) {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  password = (await rl.question(`password for ${email} (at least 12 characters): `)).trim();
  rl.close();
}
if (password.length < 12) {
  console.error('the password must have at least 12 characters');
  process.exit(64);
}
await migrate(env.DATABASE_URL, defaultMigrationsDir());
const prisma = createPrismaClient(env.DATABASE_URL, 1);
try {
  const user = await createUser(prisma, new IdentityVault(env.IDENTITY_KEY), { email, password, role, walletAddress: wallet });
  console.log(`created ${user.role} ${user.email} (id ${user.id}, ao address ${user.aoAddress}, ${user.walletMode} key)`);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
} finally {
  await prisma.$disconnect();
}
