import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'packages/*/dist/**', 'data/**', 'bench/results/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', URLSearchParams: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', crypto: 'readonly', performance: 'readonly', setImmediate: 'readonly', structuredClone: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': 'off',
    },
  },
  // The web console runs in the browser (console/src, bundled by console/build.mjs).
  {
    files: ['console/**/*.{ts,tsx}'],
    languageOptions: { globals: { document: 'readonly', window: 'readonly', location: 'readonly', navigator: 'readonly', localStorage: 'readonly', sessionStorage: 'readonly', atob: 'readonly', btoa: 'readonly', addEventListener: 'readonly', removeEventListener: 'readonly', scrollTo: 'readonly', unescape: 'readonly', HTMLElement: 'readonly', HTMLInputElement: 'readonly', HTMLSelectElement: 'readonly', HTMLTextAreaElement: 'readonly', HTMLDialogElement: 'readonly', Event: 'readonly' } },
  },
  // Folder boundaries (docs/architecture.md): dependencies point inward. http and cli both call src/admin for
  // management rules, so http never needs cli; admin and the protocol core never reach back out to them.
  ...[
    { layer: 'http/', files: ['src/http/**/*.ts'], outer: ['cli'] },
    { layer: 'admin/', files: ['src/admin/**/*.ts'], outer: ['cli', 'http'] },
    { layer: 'the core', files: ['src/oauth/**/*.ts', 'src/federation/**/*.ts', 'src/keys/**/*.ts', 'src/store/**/*.ts', 'src/crypto/**/*.ts'], outer: ['cli', 'http', 'admin'] },
  ].map(({ layer, files, outer }) => ({
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: outer.map((dir) => ({ regex: `^\\.\\.?/(\\.\\./)*${dir}/`, message: `${layer} must not import ${dir}/ (docs/architecture.md, "Layout")` })) }],
    },
  })),
);
