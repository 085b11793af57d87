// ESLint flat config. Boundaries follow docs STYLE.md §2.
import tseslint from 'typescript-eslint';
import importPlugin from 'eslint-plugin-import';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  {
    ignores: ['dist/', 'node_modules/', 'protos/generated/', 'var/', 'coverage/'],
  },
  {
    files: ['**/*.{ts,tsx,mts}'],
    extends: [tseslint.configs.recommended],
    plugins: { import: importPlugin },
    settings: {
      'import/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx', '.mts'] },
      // Resolves the tsconfig.json `paths` aliases (@protos/*, @proxy/*, @server/*, ...)
      // so the zones below also see aliased imports.
      'import/resolver': {
        typescript: { alwaysTryTypes: true, project: ['./tsconfig.json', './tsconfig.web.json'], noWarnOnMultipleProjects: true },
        node: { extensions: ['.ts', '.tsx', '.js', '.json'] },
      },
    },
    rules: {
      // tsc compiles to CommonJS, where a parameter or variable named exports, module or require
      // shadows the module's own: `exports.x` then reads the parameter, and the built app fails
      // at start while the tests (run from source) pass. It happened (createJobExportRoutes(exports)).
      'no-restricted-syntax': [
        'error',
        {
          selector: ':matches(FunctionDeclaration, FunctionExpression, ArrowFunctionExpression) > Identifier.params[name=/^(exports|module|require)$/], VariableDeclarator > Identifier.id[name=/^(exports|module|require)$/]',
          message: 'Do not name a parameter or variable exports, module or require: the CommonJS build shadows the module\'s own.',
        },
      ],
      // The code base marks intentionally unused names with a leading underscore
      // (Express's 4-arg error handler, `for (const _ of ...)`, omitting keys by destructuring).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
        },
      ],
      'import/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          zones: [
            {
              target: './ui-extension',
              from: './proxy-plugin',
              message: 'ui-extension must not import proxy-plugin (STYLE.md §2); go through protos/.',
            },
            {
              target: './proxy-plugin',
              from: './ui-extension',
              message: 'proxy-plugin must not import ui-extension (STYLE.md §2); go through protos/.',
            },
            {
              target: './protos',
              from: ['./ui-extension', './proxy-plugin'],
              message: 'protos must not import ui-extension or proxy-plugin (STYLE.md §2).',
            },
            {
              // shared/ holds mechanisms both packages need alike (config loading); it knows neither
              // side nor the contract, so importing it never couples ui-extension to proxy-plugin.
              target: './shared',
              from: ['./ui-extension', './proxy-plugin', './protos'],
              message: 'shared must not import ui-extension, proxy-plugin or protos (STYLE.md §2): it holds side-neutral mechanisms only.',
            },
            {
              target: './ui-extension/src/web',
              from: './ui-extension/src/server',
              message: 'web must not import server code; share via ui-extension/src/common (STYLE.md §2).',
            },
            {
              target: './ui-extension/src/server',
              from: './ui-extension/src/web',
              message: 'server must not import web code; share via ui-extension/src/common (STYLE.md §2).',
            },
            {
              target: './ui-extension/src/cli',
              from: ['./ui-extension/src/server', './ui-extension/src/web'],
              message: 'the rex CLI is an API client: it uses ui-extension/src/common and HTTP only (STYLE.md §2).',
            },
            // test/** is not a target: tests may import anything.
          ],
        },
      ],
    },
  },
  {
    // The web UI: React's rules of hooks (the web code is typechecked by tsconfig.web.json).
    files: ['ui-extension/src/web/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    // Named exports only (STYLE.md §2), except tool config files that require a default export.
    files: ['**/*.{ts,tsx,mts,js,mjs,cjs}'],
    ignores: ['eslint.config.mjs', 'jest.config.js', 'vite.config.mts', 'test/e2e/support/global-setup.ts'],
    plugins: { import: importPlugin },
    rules: {
      'import/no-default-export': 'error',
    },
  },
);
