// Lint rules for the whole repository. The import restrictions encode the process split:
// only main/app/ may import 'electron', and code that runs in the renderer (common/, renderer/)
// may not import Node built-ins — except files whose name ends in `.node.ts`, the Node-only
// fast paths that the Node side wires in explicitly.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';

const nodeBuiltins = {
  group: ['node:*'],
  message: 'Code shared with the renderer must not use Node built-ins.',
};
const electronOnlyInApp = { name: 'electron', message: "Only main/app/ may import 'electron'." };

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', 'release/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
      'no-restricted-imports': ['error', { paths: [electronOnlyInApp] }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    files: ['common/**/*.ts', 'renderer/**/*.ts', 'renderer/**/*.svelte'],
    ignores: ['**/*.node.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [electronOnlyInApp], patterns: [nodeBuiltins] }] },
  },
  { files: ['main/app/**/*.ts', 'preload/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
);
