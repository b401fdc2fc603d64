import { describe, expect, it } from 'vitest';
import { EnvError, parseEnv } from './env.js';
import { defaultEvaluationThreads } from './env.schema.js';

describe('parseEnv', () => {
  it('gives every variable a default that works on the embedded setup', () => {
    const env = parseEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.DATABASE_URL).toBe('postgresql://postgres@127.0.0.1:5432/ao');
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(env.ARWEAVE_URL).toBe('');
    expect(env.WALLET_TYPE).toBe('ed25519');
    expect(env.WORKER_QUEUES).toBe('all');
    expect(env.MAX_ITEM_BYTES).toBe(10 * 1024 * 1024);
  });

  it('sizes the evaluation threads from the cores: one per core but one, at least one, at most 8', () => {
    expect([1, 2, 3, 4, 9, 64].map((cores) => defaultEvaluationThreads(cores))).toEqual([1, 1, 2, 3, 8, 8]);
    expect(parseEnv({}).CU_THREADS).toBe(defaultEvaluationThreads());
    expect(parseEnv({ CU_THREADS: '0' }).CU_THREADS).toBe(0);
  });

  it('types what it parses and treats empty strings as unset', () => {
    const env = parseEnv({ PORT: '8080', ARWEAVE_URL: '', WORKER_QUEUES: 'upload, evaluate', EXPOSE_ERRORS: 'yes' });
    expect(env.PORT).toBe(8080);
    expect(env.ARWEAVE_URL).toBe('');
    expect(env.WORKER_QUEUES).toEqual(['upload', 'evaluate']);
    expect(env.EXPOSE_ERRORS).toBe(true);
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['REDIS_URL', 'not a url'],
    ['ARWEAVE_URL', 'ftp://gateway'],
    ['WALLET_TYPE', 'rsa'],
    ['WORKER_QUEUES', 'upload,bogus'],
    ['MAX_ITEM_BYTES', '-1'],
  ])('rejects %s=%s naming the variable and the expected form', (variable, value) => {
    let error: unknown;
    try {
      parseEnv({ [variable]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvError);
    const problems = (error as EnvError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ variable, got: value });
    expect(problems[0].expected.length).toBeGreaterThan(3);
    expect((error as EnvError).message).toContain(variable);
  });

  it('reports every bad variable at once', () => {
    expect(() => parseEnv({ PORT: 'x', REDIS_URL: 'y' })).toThrow(/PORT[\s\S]*REDIS_URL/);
  });
});
