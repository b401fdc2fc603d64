import { execFileSync } from 'node:child_process';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

// The architecture rules live in eslint.config.js; this proves they bite, so a violation fails `npm test`.
describe('module boundaries', () => {
  let eslint: ESLint;
  beforeAll(() => {
    execFileSync('npx', ['nx', 'show', 'projects'], { env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } });
    eslint = new ESLint();
  }, 120_000); // nx computes the project graph first: seconds alone, longer on a loaded machine

  const lint = async (path: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: path });
    return result.messages.map((m) => m.ruleId);
  };

  it('keeps frameworks and I/O clients out of ao-core', async () => {
    for (const pkg of ['@nestjs/common', '@prisma/client', 'bullmq', 'ioredis']) {
      const rules = await lint('libs/ao-core/src/probe.ts', `import * as x from '${pkg}';\nexport { x };\n`);
      expect(rules, pkg).toContain('no-restricted-imports');
    }
  });

  it('keeps adapters and apps out of the domain libraries', async () => {
    const rules = await lint('libs/agents/src/probe.ts', `import { loadEnv } from '@ao/infra';\nexport { loadEnv };\n`);
    expect(rules).toContain('@nx/enforce-module-boundaries');
  });

  it('allows process.env only in env modules', async () => {
    expect(await lint('libs/ao-core/src/probe.ts', 'export const x = process.env.X;\n')).toContain('no-restricted-syntax');
    expect(await lint('apps/api/src/probe.ts', 'export const x = process.env.X;\n')).toContain('no-restricted-syntax');
    expect(await lint('libs/infra/src/env/probe.ts', 'export const x = process.env.X;\n')).toEqual([]);
  });

  it('lets apps use infra and the domain', async () => {
    const rules = await lint('apps/api/src/probe.ts', `import { loadEnv } from '@ao/infra';\nimport { AoError } from '@ao/core';\nexport { loadEnv, AoError };\n`);
    expect(rules).toEqual([]);
  });
});
