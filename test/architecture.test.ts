// The layer boundaries are lint rules (eslint.config.js). This proves the rules
// exist and fire: each forbidden import, placed in a real file of the layer, is an error.
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/build.js';

const eslint = new ESLint({ cwd: ROOT });

async function errorsFor(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}/${file}` });
  return (result?.messages ?? []).filter((m) => m.severity === 2).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

const cases: [file: string, code: string, rule: RegExp][] = [
  [
    'src/cli/format.ts',
    "import { openVault } from '../vault/index.js';\nexport const x = openVault;\n",
    /only through app/,
  ],
  [
    'src/cli/format.ts',
    "import { generateCode } from '../otp/index.js';\nexport const x = generateCode;\n",
    /only through app/,
  ],
  [
    'src/cli/format.ts',
    "import { Decrypter } from 'age-encryption';\nexport const x = Decrypter;\n",
    /only under src\/vault/,
  ],
  ['src/app/accounts.ts', "import { TOTP } from 'otpauth';\nexport const x = TOTP;\n", /only under src\/otp/],
  [
    'src/core/model.ts',
    "import { homePaths } from '../vault/index.js';\nexport const x = homePaths;\n",
    /core\/ depends on nothing/,
  ],
  ['src/app/accounts.ts', 'export const x = process.env.HOME;\n', /src\/config\.ts/],
  ['src/app/accounts.ts', "process.stdout.write('x');\n", /CLI io/],
  ['src/app/accounts.ts', "console.log('x');\n", /no-console/],
  ['src/otp/index.ts', 'export const x = (): never => process.exit(1);\n', /exit only in src\/index\.ts/],
  [
    'src/policy/index.ts',
    "import { openVault } from '../vault/index.js';\nexport const x = openVault;\n",
    /policy\/ is pure/,
  ],
  ['src/audit/index.ts', "import { TOTP } from 'otpauth';\nexport const x = TOTP;\n", /only under src\/otp/],
  [
    'src/app/accounts.ts',
    "import { chromium } from 'playwright-core';\nexport const x = chromium;\n",
    /only under src\/browser/,
  ],
  [
    'src/app/accounts.ts',
    "import { createClient } from '@redis/client';\nexport const x = createClient;\n",
    /only under src\/fleet/,
  ],
  [
    'src/mcp/server.ts',
    "import { IAMClient } from '@aws-sdk/client-iam';\nexport const x = IAMClient;\n",
    /only under src\/aws/,
  ],
  ['src/cli/format.ts', "import { x as y } from '../fleet/index.js';\nexport const x = y;\n", /only through app/],
];

describe('architecture boundaries (lint rules)', () => {
  it.each(cases)('%s: %s is an error', async (file, code, rule) => {
    const errors = await errorsFor(file, code);
    expect(errors.join('\n')).toMatch(rule);
  });

  it('allows what the design allows', async () => {
    const boundaryErrors = (errors: string[]) => errors.filter((e) => /^no-restricted-(imports|properties)/.test(e));
    expect(
      boundaryErrors(
        await errorsFor(
          'src/cli/format.ts',
          "import { listAccounts } from '../app/accounts.js';\nexport const x = listAccounts;\n",
        ),
      ),
    ).toEqual([]);
    expect(boundaryErrors(await errorsFor('src/config.ts', "export const x = process.env['HOME'];\n"))).toEqual([]);
  });
});
