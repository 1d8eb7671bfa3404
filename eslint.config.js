// Type-aware lint, plus the layer boundaries as import rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layer = (name) => [`../${name}/*`, `../${name}/**`, `../../${name}/*`, `../../${name}/**`];

/** Each outside SDK lives in one module. */
const sdkOwners = [
  { name: 'age-encryption', owner: 'src/vault' },
  { name: 'otpauth', owner: 'src/otp' },
  { name: '@aws-sdk/client-sts', owner: 'src/aws' },
  { name: '@aws-sdk/client-iam', owner: 'src/aws' },
  { name: 'playwright-core', owner: 'src/browser' },
  { name: '@redis/client', owner: 'src/fleet' },
  { name: '@modelcontextprotocol/server', owner: 'src/mcp' },
];

const restrictImports = (patterns, paths = []) => ({
  'no-restricted-imports': ['error', { patterns, paths }],
});

const sdkBan = (except) =>
  sdkOwners
    .filter((s) => s.owner !== except)
    .map((s) => ({ group: [s.name, `${s.name}/*`], message: `${s.name} is imported only under ${s.owner}/` }));

const boundary = (dir, forbiddenLayers, why) => ({
  files: [`src/${dir}/**/*.ts`],
  rules: restrictImports([
    ...sdkBan(`src/${dir}`),
    ...(forbiddenLayers.length ? [{ group: forbiddenLayers.flatMap(layer), message: why }] : []),
  ]),
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read the environment only in src/index.ts or src/config.ts' },
        { object: 'process', property: 'argv', message: 'read argv only in src/index.ts' },
        { object: 'process', property: 'exit', message: 'exit only in src/index.ts' },
        { object: 'process', property: 'stdout', message: 'write stdout only through the CLI io (src/cli/io.ts)' },
      ],
    },
  },
  // Layers: fronts reach secrets only through app/; policy/ never sees the vault.
  boundary(
    'cli',
    ['vault', 'otp', 'audit', 'aws', 'policy', 'mcp', 'browser', 'fleet'],
    'cli/ reaches the vault, codes, policy and audit only through app/',
  ),
  boundary(
    'mcp',
    ['vault', 'otp', 'audit', 'aws', 'policy', 'cli', 'browser', 'fleet'],
    'mcp/ reaches the vault, codes, policy and audit only through app/',
  ),
  boundary('app', ['cli', 'mcp'], 'app/ does not depend on a front'),
  boundary(
    'policy',
    ['vault', 'otp', 'audit', 'aws', 'app', 'cli', 'mcp'],
    'policy/ is pure: it never imports the vault or anything above it',
  ),
  boundary(
    'audit',
    ['vault', 'otp', 'aws', 'app', 'cli', 'mcp', 'policy'],
    'audit/ stands alone: it takes its key as an argument',
  ),
  boundary('otp', ['vault', 'audit', 'aws', 'app', 'cli', 'mcp', 'policy'], 'otp/ depends only on core/'),
  boundary('vault', ['otp', 'audit', 'aws', 'app', 'cli', 'mcp', 'policy'], 'vault/ depends only on core/'),
  boundary('aws', ['cli', 'mcp', 'app'], 'aws/ does not depend on a front or on app/'),
  boundary(
    'browser',
    ['vault', 'otp', 'audit', 'aws', 'app', 'cli', 'mcp', 'policy', 'fleet'],
    'browser/ (the CDP client) depends only on core/',
  ),
  boundary(
    'fleet',
    ['vault', 'otp', 'audit', 'aws', 'app', 'cli', 'mcp', 'policy', 'browser'],
    'fleet/ (the Redis coordinator) depends only on core/',
  ),
  boundary(
    'core',
    ['vault', 'otp', 'audit', 'aws', 'app', 'cli', 'mcp', 'policy', 'browser', 'fleet'],
    'core/ depends on nothing in the project',
  ),
  // `serve` launches the MCP front: the one cli/ file that may load mcp/ (still never the SDK itself).
  {
    ...boundary(
      'cli',
      ['vault', 'otp', 'audit', 'aws', 'policy', 'browser', 'fleet'],
      'cli/ reaches the vault, codes, policy and audit only through app/',
    ),
    files: ['src/cli/commands/serve.ts'],
  },
  {
    files: ['src/index.ts', 'src/config.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['src/cli/io.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false },
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        setInterval: 'readonly',
        setImmediate: 'readonly',
        clearTimeout: 'readonly',
        clearInterval: 'readonly',
        performance: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-console': 'off' },
  },
);
