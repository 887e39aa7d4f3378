// Lint: ESLint's and typescript-eslint's recommended rules, and the project's layering, so that a
// wrong import fails `npm run lint` (and CI). Formatting is Prettier's (`npm run format`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** A folder may import only the folders below it, each through its index. */
const below = {
  util: [],
  core: ['util'],
  transport: ['core', 'util'],
  servers: ['transport', 'core', 'util'],
  delivery: ['core', 'util'],
  client: ['delivery', 'servers', 'transport', 'core', 'util'],
  shapes: ['client', 'core', 'util'],
};
const folders = Object.keys(below);

const layering = folders.map((folder) => ({
  files: [`src/${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          { regex: '^\\.\\./[^./][^/]*/', message: 'import another folder through its index (../folder), not its files' },
          ...folders
            .filter((other) => other !== folder && !below[folder].includes(other))
            .map((other) => ({
              regex: `^\\.\\./${other}$`,
              message: `${folder}/ may not import ${other}/: imports run one way (nodes -> shapes -> client -> delivery -> servers -> transport -> core -> util)`,
            })),
          { regex: '^\\.\\./(nodes|index)(/|$)', message: 'the library knows nothing of the nodes or of the package entry' },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.influxdb/', '.node-red/', 'coverage/', 'bench/sink/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    // The sources, the tests and the benchmarks are one program to the type checker (tsconfig.test.json).
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe and it return promises the runner itself waits for.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        Buffer: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
        performance: 'readonly',
        fetch: 'readonly',
        URL: 'readonly',
        URLSearchParams: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // An async function that throws before its first await rejects, as callers expect of every write and query.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  ...layering,
  {
    // The nodes and the benchmarks use the library as its folders present it: through their indexes only.
    files: ['src/nodes/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(\\.\\./)?[^./][^/]*/|^\\.\\./\\.\\./index$',
              message: 'nodes import the library through its folder indexes (../../client, ../shared), not their files',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['bench/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./src/[^/]+/',
              message: 'benchmarks import the library through its folder indexes (../src/delivery), not their files',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/nodes/**/*.ts'],
    // `const node = this` is how a Node-RED node keeps itself in its handlers.
    rules: { '@typescript-eslint/no-this-alias': 'off' },
  },
  {
    // Node-RED's own nodes, the test helper and the scripts are CommonJS; tests and benchmarks load the built
    // package as users get it.
    files: ['scripts/**/*.js', 'bench/**/*.js', 'bench/**/*.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
