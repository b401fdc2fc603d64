// Lint is where the architecture is enforced: the domain (ao-core, agents) stays framework-free,
// and only env modules read process.env. A violation fails `npm test`.
import nx from '@nx/eslint-plugin';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const frameworkImports = ['@nestjs/*', '@prisma/client', '@prisma/*', 'bullmq', 'ioredis', 'pg', 'express'];

export default tseslint.config(
  {
    ignores: ['**/dist/**', 'libs/agents/codec/assembly/**', '**/node_modules/**', '**/generated/**', '.data/**', 'bench/results/**', 'reports/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            {
              sourceTag: 'type:domain',
              onlyDependOnLibsWithTags: ['type:domain'],
              bannedExternalImports: frameworkImports,
            },
            { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:domain', 'type:infra'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:infra'] },
            // The dashboard knows the platform only through its HTTP API (the OpenAPI document).
            { sourceTag: 'type:web', onlyDependOnLibsWithTags: [] },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through the env module (libs/infra/src/env), never process.env directly.',
        },
      ],
    },
  },
  {
    // The only places allowed to read the environment.
    files: ['libs/infra/src/env/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'vitest.config.ts', 'prisma.config.ts', 'scripts/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['libs/ao-core/**/*.ts', 'libs/agents/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: frameworkImports, message: 'The domain is framework-free: declare a port and implement it in libs/infra.' },
            { group: ['@ao/infra', '@ao/api', '@ao/worker', '@ao/cron'], message: 'The domain must not import adapters or apps.' },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/web/src/**/*.{ts,tsx}'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
