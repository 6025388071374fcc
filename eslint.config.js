import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.ward/**', 'web/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-empty-object-type': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // Domain logic stays free of web framework and drivers (docs/architecture.md).
    files: ['src/{identity,audit,inventory,vault,policy,access}/**/service.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['fastify', 'pg', 'better-sqlite3', 'ssh2'] }],
    },
  },
);
