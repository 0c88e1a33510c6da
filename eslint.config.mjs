import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NO_ONLY_SKIP = [
  { selector: "CallExpression[callee.object.name='it'][callee.property.name=/^(only|skip)$/]", message: 'no .only/.skip left in' },
  { selector: "CallExpression[callee.object.name='describe'][callee.property.name=/^(only|skip)$/]", message: 'no .only/.skip left in' },
];

/**
 * SQL lives in repositories (docs/ARCHITECTURE.md): `.query(`, queryRows( and queryOne( only in
 * `*.repository.ts` and src/database/ (migrations CLI, seeds, the sql helpers). A repository is
 * imported only from its own feature folder (and src/database/ wiring); others call its service.
 */

const repositoryOwner = {
  meta: { type: 'problem', messages: { foreign: "{{repo}} belongs to src/{{owner}}/: call that feature's service instead" } },
  create(context) {
    const file = context.filename.replaceAll('\\', '/');
    const here = /\/src\/([^/]+)\//.exec(file)?.[1];
    if (!here || here === 'database') return {};
    return {
      ImportDeclaration(node) {
        const m = /^@app\/([^/]+)\/.+\.repository$/.exec(String(node.source.value));
        if (m && m[1] !== here) context.report({ node, messageId: 'foreign', data: { repo: String(node.source.value), owner: m[1] } });
      },
    };
  },
};

/**
 * common/ sits below every feature (docs/ARCHITECTURE.md): it imports only itself and config,
 * never a feature nor the root files that gather them (error-codes.ts, features.ts). Type imports
 * count too: a feature's type is still a dependency on it. A relative path up to another folder
 * or root file of src/ is caught as well (the names are read from src/ itself).
 */
const COMMON_MAY_IMPORT = ['common', 'config'];
const OUTSIDE_COMMON = readdirSync(new URL('./src/', import.meta.url), { withFileTypes: true })
  .filter((d) => d.isDirectory() || (d.name.endsWith('.ts') && !d.name.endsWith('.spec.ts')))
  .map((d) => d.name.replace(/\.ts$/, ''))
  .filter((name) => !COMMON_MAY_IMPORT.includes(name))
  .map((name) => name.replaceAll('.', '\\.'));
const COMMON_MESSAGE = 'common/ imports no feature: move the code to the feature, or give common/ its own (structural) type';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.local/**', 'bench/results/**', 'web/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly', fetch: 'readonly', AbortSignal: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-function-type': 'off',
      'no-restricted-syntax': ['error', ...NO_ONLY_SKIP],
    },
  },
  {
    // bench/adapters: plain CommonJS run by node from .local/adapters, with its own dependencies.
    files: ['bench/adapters/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/**/*.repository.ts', 'src/**/*.spec.ts', 'src/database/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...NO_ONLY_SKIP,
        { selector: "CallExpression[callee.property.name='query']", message: 'SQL belongs in a *.repository.ts behind a named method' },
        { selector: "CallExpression[callee.name=/^(queryRows|queryOne)$/]", message: 'SQL belongs in a *.repository.ts behind a named method' },
        { selector: "MemberExpression[property.name='transaction'][object.type='MemberExpression'][object.property.name='db']", message: 'Open transactions through the repository: this.repo.transaction(async (m) => …)' },
        { selector: "MemberExpression[property.name='db'][object.type='MemberExpression'][object.property.name=/repo$/i]", message: "A repository's db is its own: call a named method (reads default to the pool) or repo.transaction()" },
        { selector: "MemberExpression[property.name='db'][object.type='Identifier'][object.name=/repo$/i]", message: "A repository's db is its own: call a named method (reads default to the pool) or repo.transaction()" },
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { local: { rules: { 'repository-owner': repositoryOwner } } },
    rules: { 'local/repository-owner': 'error' },
  },
  {
    files: ['src/common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: `^@app/(?!(${COMMON_MAY_IMPORT.join('|')})/)`, message: COMMON_MESSAGE },
            { regex: `^(\\.\\./)+(${OUTSIDE_COMMON.join('|')})(/|$)`, message: COMMON_MESSAGE },
          ],
        },
      ],
    },
  },
);
