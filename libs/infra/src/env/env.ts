import { existsSync } from 'node:fs';
import { envSchema, type Env } from './env.schema.js';

/** A configuration problem, naming each bad variable and the form it expects. */
export class EnvError extends Error {
  constructor(readonly problems: { variable: string; expected: string; got: string | undefined }[]) {
    super(
      'Invalid configuration:\n' +
        problems.map((p) => `  ${p.variable}: expected ${p.expected}, got ${JSON.stringify(p.got)}`).join('\n'),
    );
    this.name = 'EnvError';
  }
}

/** Parses and types the environment. Empty strings count as unset, so `.env` lines like `FOO=` take the default. */
export function parseEnv(source: Record<string, string | undefined>): Env {
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const parsed = envSchema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  throw new EnvError(
    parsed.error.issues.map((issue) => {
      const variable = String(issue.path[0] ?? '?');
      return { variable, expected: issue.message, got: source[variable] };
    }),
  );
}

let cached: Env | undefined;

/** The process's configuration, parsed once; a bad value prints what is wrong and exits non-zero. */
export function loadEnv(): Env {
  if (cached) return cached;
  // A .env file in the working directory fills in what the real environment leaves unset.
  if (existsSync('.env')) process.loadEnvFile('.env');
  try {
    cached = parseEnv(process.env);
    return cached;
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`${error.message}\nSee .env.example for every variable and its default.\n`);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
}

/** The environment a child process should inherit, with overrides (the embedded launcher uses it). */
export function childEnv(overrides: Record<string, string>): Record<string, string | undefined> {
  return { ...process.env, ...overrides };
}

/** Directories of the host's PATH (the embedded launcher looks for server binaries there). */
export function hostPath(): string[] {
  return (process.env.PATH ?? '').split(':').filter(Boolean);
}

/** The gateway URL: ARWEAVE_URL, or the embedded arlocal's when it is unset. */
export function gatewayUrl(env: Pick<Env, 'ARWEAVE_URL' | 'ARLOCAL_PORT'>): string {
  return env.ARWEAVE_URL || `http://127.0.0.1:${env.ARLOCAL_PORT}`;
}
