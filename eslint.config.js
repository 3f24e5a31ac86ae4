// The JavaScript lint stage of `npm test` (tools/test.mjs): ESLint's recommended rules over the
// page, worker and pool modules (browser and worker globals) and the tools and tests (Node).
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['dist/**', 'bench-results/**', 'test-results/**', 'target/**', 'www/pkg/**', 'fuzz/**', 'node_modules/**', '.venv-peers/**'] },
  js.configs.recommended,
  {
    files: ['www/**/*.js'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.browser, ...globals.worker } },
  },
  {
    files: ['tools/**/*.{js,mjs}', 'tests/**/*.mjs', 'eslint.config.js'],
    languageOptions: { ecmaVersion: 2024, sourceType: 'module', globals: { ...globals.node } },
  },
  {
    // Browser automation: the functions handed to page.evaluate run in the page.
    files: ['tools/bench/*.mjs', 'tests/e2e/*.mjs'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    rules: {
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }],
    },
  },
];
