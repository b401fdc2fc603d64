import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// Tests run on the sources (swc keeps Nest's decorator metadata); the apps' child processes in
// e2e tests run the built output, which `npm test` builds first.
const alias = {
  '@ao/core': here('./libs/ao-core/src/index.ts'),
  '@ao/agents': here('./libs/agents/src/index.ts'),
  '@ao/infra': here('./libs/infra/src/index.ts'),
};

const plugins = [
  swc.vite({
    jsc: {
      target: 'es2022',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
  }),
];

export default defineConfig({
  test: {
    projects: [
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['libs/*/src/**/*.spec.ts', 'apps/*/src/**/*.spec.ts', 'test/**/*.spec.ts'],
          environment: 'node',
          testTimeout: 60_000,
          // Some specs set up real keys or modules in their hooks, slow on a loaded machine.
          hookTimeout: 60_000,
          // Specs whose oracle is an optional tool skip without it locally, but fail in CI.
          provide: { ci: Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0' },
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
