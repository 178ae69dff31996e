// ESLint 9 flat config: typescript-eslint's type-checked recommended rules, formatting left to Prettier.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/', 'coverage/', 'node_modules/', 'data/', 'bench/results/'] },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Files with decorators are left alone (typescript-eslint reads emitDecoratorMetadata from
      // tsconfig): Nest's injection needs constructor parameter types imported as values.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Off: `async` on a method of a Promise-returning port (in-memory adapters, kafkajs callbacks)
      // keeps the port's contract that a failure is a rejection, never a synchronous throw.
      '@typescript-eslint/require-await': 'off',
      // `interface X extends Y {}` is how a module adds its declarations to a platform registry type
      // (declaration merging: a module's problem codes, its config slice).
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
    },
  },
  {
    // Black-box tests, their shared support, the bench and the check scripts read JSON bodies, driver results and
    // YAML/JSON files (Prometheus rules, the Grafana dashboard) as `any` on purpose: their
    // assertions (exact counts, expect(...).toEqual, the checks' verdicts) are the type check. The
    // promise and import rules above still apply there.
    files: ['support/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node, sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  { files: ['**/*.mjs'], languageOptions: { sourceType: 'module' } },
  prettier,
);
