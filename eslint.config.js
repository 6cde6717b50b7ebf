// Lint rules for the project (issue 11): typescript-eslint's recommended type-aware rules, no `any`, no unused
// variables or imports, and layering enforced separately by test/architecture/layers.test.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'backtests/**', 'models/**', '.bot/**', 'dist/**', 'studies/**', 'held-back/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // lines ≤ 120 characters everywhere (issue 11); long messages are split with `+` or template pieces
  { rules: { 'max-len': ['error', { code: 120, ignoreUrls: true }] } },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    // the dashboard's pages run in the browser, with lightweight-charts' standalone build as a global
    files: ['src/server/public/**/*.js'],
    languageOptions: {
      globals: Object.fromEntries(
        [
          ...['window', 'document', 'location', 'sessionStorage', 'fetch', 'URL', 'TextDecoder', 'Node'],
          ...['setTimeout', 'clearTimeout', 'confirm', 'console', 'LightweightCharts'],
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
