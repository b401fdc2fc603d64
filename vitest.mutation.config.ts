import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The unit specs that exercise the protocol core, for mutation testing (stryker.config.json): the
// same transform and aliases as vitest.config.ts, one flat project (the runner drives one).
export default defineConfig({
  plugins: [
    swc.vite({
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
      },
    }),
  ],
  resolve: {
    alias: {
      '@ao/core': here('./libs/ao-core/src/index.ts'),
      '@ao/agents': here('./libs/agents/src/index.ts'),
      '@ao/infra': here('./libs/infra/src/index.ts'),
    },
  },
  test: {
    include: ['libs/ao-core/src/**/*.spec.ts', 'test/verify-*.spec.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    provide: { ci: false },
  },
});
