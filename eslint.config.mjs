// Lint rules: type-aware TypeScript, plus the process boundaries of docs/architecture.md (Electron only in main/electron and main/index.ts).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const electronBan = {
  paths: [
    {
      name: 'electron',
      message:
        'Only main/electron and main/index.ts import electron; the rest runs headless (docs/architecture.md).',
    },
  ],
  patterns: [{ group: ['electron/*'], message: 'Only main/electron and main/index.ts import electron.' }],
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'out/**',
      'dist/**',
      '.venv/**',
      'bench/results/**',
      'resources/agent-runtime/dist/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.node.json', './tsconfig.web.json'],
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['main/{services,cli,app,transport,platform,api}/**/*.ts', 'main/headless.ts', 'main/llm-kit.ts'],
    rules: { 'no-restricted-imports': ['error', electronBan] },
  },
  {
    files: ['contract/**/*.ts'],
    // Tests of the contract may import vitest and the code that uses the contract (contract/*.test.ts).
    ignores: ['contract/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...electronBan,
          patterns: [
            ...electronBan.patterns,
            { regex: '^(?!zod$|\\./).*', message: 'contract/ imports only zod and its own files.' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks to main only through window.bridge.' }],
          patterns: [
            {
              group: ['**/main/**', '../../main/*', 'node:*'],
              message: 'renderer/ never imports main/ or Node modules.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
