// Flag parsing of the commands written as units (src/cli/commands/*.ts: flags, typed options and
// run in one file), in process through main(argv, env, io, seam): each row is a command line and
// either the options its unit parsed (nothing runs) or the usage error it gets (exit 2).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFLICT_MODES, IMPORT_FORMATS } from '../../src/app/import.js';
import { IMPORT_FLAG_CHOICES } from '../../src/cli/commands/import.js';
import { main } from '../../src/cli/main.js';
import { readEnv } from '../../src/config.js';
import { Redacted } from '../../src/core/redacted.js';
import { ROOT } from '../helpers/build.js';
import { tempDir } from '../helpers/cli.js';
import { memoryIo } from '../helpers/io.js';

const env = { ...readEnv(join(ROOT, 'dist', 'totp-mcp.mjs')), agent: undefined };

type Row = [argv: string[], expected: { command: string; options: unknown } | RegExp];

/** Redacted values are compared by what they hold (a test may look). */
const plain = (x: unknown): unknown =>
  x instanceof Redacted
    ? { redacted: x.reveal() }
    : Array.isArray(x)
      ? x.map(plain)
      : typeof x === 'object' && x !== null
        ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]))
        : x;

async function parse(argv: string[]): Promise<{ code: number; err: string; out: string; parsed: unknown[] }> {
  const io = memoryIo();
  const parsed: unknown[] = [];
  // The home does not exist: a command that ran would fail on it instead.
  const code = await main(['--home', join(tempDir(), 'none'), ...argv], env, io, {
    parsed: (command, options) => parsed.push({ command, options: plain(options) }),
  });
  return { code, ...io.text(), parsed };
}

function table(rows: Row[]): void {
  it.each(rows)('%j', async (argv, expected) => {
    const r = await parse(argv);
    if (expected instanceof RegExp) {
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(expected);
      expect(r.parsed).toEqual([]);
    } else {
      expect(r.code, r.err).toBe(0);
      expect(r.parsed).toEqual([expected]);
    }
    expect(r.out).toBe('');
  });
}

describe('accounts: add, list, rm, rename, tag, edit', () => {
  table([
    [
      ['add', 'gh', '--uri', 'otpauth://totp/X:y?secret=JBSWY3DPEHPK3PXP'],
      {
        command: 'add',
        options: {
          id: 'gh',
          source: { kind: 'uri', uri: { redacted: 'otpauth://totp/X:y?secret=JBSWY3DPEHPK3PXP' } },
          tags: [],
          origins: [],
        },
      },
    ],
    [
      ['add', 'gh', '--uri', '-', '--tag', 'a', '--tag', 'b'],
      { command: 'add', options: { id: 'gh', source: { kind: 'uri-stdin' }, tags: ['a', 'b'], origins: [] } },
    ],
    [
      [
        'add',
        'gh',
        '--secret-stdin',
        '--type',
        'hotp',
        '--algorithm',
        'SHA256',
        '--digits',
        '8',
        '--counter',
        '5',
        '--issuer',
        'I',
        '--label',
        'L',
      ],
      {
        command: 'add',
        options: {
          id: 'gh',
          source: { kind: 'secret-stdin' },
          type: 'hotp',
          algorithm: 'SHA256',
          digits: '8',
          counter: '5',
          issuer: 'I',
          label: 'L',
          tags: [],
          origins: [],
        },
      },
    ],
    [
      ['add', 'gh', '--period', '60'],
      { command: 'add', options: { id: 'gh', source: { kind: 'prompt' }, period: '60', tags: [], origins: [] } },
    ],
    [
      ['add', 'gh', '--uri', '-', '--origin', 'https://GitHub.com/', '--origin', 'http://127.0.0.1:8080'],
      {
        command: 'add',
        options: {
          id: 'gh',
          source: { kind: 'uri-stdin' },
          tags: [],
          origins: ['http://127.0.0.1:8080', 'https://github.com'],
        },
      },
    ],
    [['add', 'gh', '--uri', '-', '--origin', 'http://github.com'], /not an origin: http: is allowed only on/],
    [['add', 'gh', '--uri', 'x', '--secret-stdin'], /give either --uri or --secret-stdin, not both/],
    [['add', 'gh', '--uri', '-', '--digits', '8'], /--digits cannot be combined with --uri/],
    [['add', 'gh', '--type', 'motp'], /Allowed choices are totp, hotp, steam/],
    [['add', 'gh', '--digits', '11'], /digits must be an integer from 6 to 10/],
    [['add'], /missing required argument 'id'/],
    [['list'], { command: 'list', options: { json: false } }],
    [['list', '--tag', 'work', '--json'], { command: 'list', options: { tag: 'work', json: true } }],
    [['list', 'extra'], /too many arguments/],
    [['rm', 'gh'], { command: 'rm', options: { id: 'gh', yes: false } }],
    [['rm', 'gh', '-y'], { command: 'rm', options: { id: 'gh', yes: true } }],
    [['rm', 'gh', '--force'], /unknown option '--force'/],
    [['rename', 'a', 'b'], { command: 'rename', options: { from: 'a', to: 'b' } }],
    [['rename', 'a'], /missing required argument 'new'/],
    [['tag', 'gh'], { command: 'tag', options: { id: 'gh', changes: [] } }],
    [['tag', 'gh', '+work', '-home', 'x'], { command: 'tag', options: { id: 'gh', changes: ['+work', '-home', 'x'] } }],
    [
      ['edit', 'gh', '--label', 'L', '--digits', '8'],
      { command: 'edit', options: { id: 'gh', changes: { label: 'L', digits: '8' }, force: false } },
    ],
    [
      ['edit', 'gh', '--counter', '3', '--force', '--algorithm', 'SHA512'],
      { command: 'edit', options: { id: 'gh', changes: { counter: '3', algorithm: 'SHA512' }, force: true } },
    ],
    [['edit', 'gh', '--period', '0'], /the period must be an integer from 1/],
    [['edit', 'gh', '--algorithm', 'MD5'], /Allowed choices are SHA1, SHA256, SHA512/],
  ]);
});

describe('export', () => {
  table([
    [['export', '--uri'], { command: 'export', options: { ids: [], uri: true } }],
    [['export', '--uri', 'a', 'b', '-y'], { command: 'export', options: { ids: ['a', 'b'], uri: true, yes: true } }],
    [
      ['export', '--qr', 'a', '--png', 'a.png', '--force'],
      { command: 'export', options: { ids: [], qr: 'a', png: 'a.png', force: true } },
    ],
    [['export', '--google', 'a'], { command: 'export', options: { ids: ['a'], google: true } }],
    [
      ['export', '--aegis', 'f.json', '--encrypt', '--password-stdin'],
      { command: 'export', options: { ids: [], aegis: 'f.json', encrypt: true, passwordStdin: true } },
    ],
    [
      ['export', '--backup', 'b.age', '--recipient', 'age1x', '--recipient', 'age1y'],
      { command: 'export', options: { ids: [], backup: 'b.age', recipient: ['age1x', 'age1y'] } },
    ],
    [['export'], /choose a format: --uri, --qr <id>, --google, --aegis <file> or --backup <file>/],
    [['export', '--uri', '--google'], /choose one format, not --uri and --google/],
    [['export', '--png', 'x.png'], /--png and --svg go with --qr/],
    [['export', '--qr', 'a', 'b'], /--qr takes one account/],
    [['export', '--uri', '--encrypt'], /--encrypt goes with --aegis/],
    [['export', '--uri', '--recipient', 'age1x'], /--recipient goes with --backup/],
    [['export', '--aegis', 'f', '--password-stdin'], /--password-stdin goes with --aegis --encrypt/],
    [['export', '--backup', 'b.age', 'a'], /a backup holds the whole vault: drop the account ids/],
    [['export', '--google', '--force'], /--force goes with an output file/],
  ]);
});

describe('import', () => {
  const base = { format: 'auto', passwordStdin: false, tags: [], dryRun: false, onConflict: 'skip' };
  table([
    [['import', 'f.json'], { command: 'import', options: { source: 'f.json', ...base } }],
    [
      [
        'import',
        'f.json',
        '--format',
        'aegis',
        '--password-stdin',
        '--tag',
        'x',
        '--dry-run',
        '--on-conflict',
        'rename',
      ],
      {
        command: 'import',
        options: {
          source: 'f.json',
          format: 'aegis',
          passwordStdin: true,
          tags: ['x'],
          dryRun: true,
          onConflict: 'rename',
        },
      },
    ],
    [['import', '-'], { command: 'import', options: { source: '-', ...base } }],
    [
      ['import', '-', '--password-stdin'],
      /--password-stdin cannot be used when the export itself comes from standard input/,
    ],
    [['import', 'f', '--format', 'lastpass'], /Allowed choices are auto, uri-list, google/],
    [['import', 'f', '--on-conflict', 'merge'], /Allowed choices are skip, rename, replace/],
    [['import'], /missing required argument 'source'/],
  ]);

  it('its flags accept exactly the formats and conflict modes the app knows', () => {
    expect([...IMPORT_FLAG_CHOICES.formats]).toEqual(['auto', ...IMPORT_FORMATS]);
    expect([...IMPORT_FLAG_CHOICES.conflicts]).toEqual([...CONFLICT_MODES]);
  });
});

describe('init and recipients', () => {
  table([
    [['init'], { command: 'init', options: { kind: 'identity' } }],
    [
      ['init', '--passphrase', '--work-factor', '12'],
      { command: 'init', options: { kind: 'passphrase-identity', workFactor: 12 } },
    ],
    [['init', '--passphrase-only'], { command: 'init', options: { kind: 'passphrase' } }],
    [['init', '--passphrase', '--passphrase-only'], /cannot be used with option '--passphrase-only'/],
    [['init', '--work-factor', '9'], /--work-factor must be an integer from 10 to 20/],
    [['init', '--work-factor', 'x'], /--work-factor must be an integer from 10 to 20/],
    [['recipients', 'list'], { command: 'recipients list', options: null }],
    [
      ['recipients', 'add', 'age1a', 'age1b'],
      { command: 'recipients add', options: { recipients: ['age1a', 'age1b'] } },
    ],
    [['recipients', 'remove', 'age1a'], { command: 'recipients remove', options: { recipients: ['age1a'] } }],
    [['recipients', 'add'], /missing required argument 'recipient'/],
  ]);
});

describe('policy', () => {
  table([
    [['policy', 'init'], { command: 'policy init', options: null }],
    [['policy', 'check'], { command: 'policy check', options: null }],
    [['policy', 'apply'], { command: 'policy apply', options: null }],
    [
      ['policy', 'explain', '--agent', 'bot', '--account', 'gh'],
      { command: 'policy explain', options: { agent: 'bot', account: 'gh', action: 'code', json: false } },
    ],
    [
      [
        'policy',
        'explain',
        '--agent',
        'bot',
        '--account',
        'gh',
        '--action',
        'aws_session',
        '--at',
        '1700000000',
        '--role',
        'deploy',
        '--duration',
        '3600',
        '--delivery',
        'exec',
        '--json',
      ],
      {
        command: 'policy explain',
        options: {
          agent: 'bot',
          account: 'gh',
          action: 'aws_session',
          at: 1_700_000_000_000,
          aws: { role: 'deploy', duration_seconds: 3600, delivery: 'exec' },
          json: true,
        },
      },
    ],
    [
      ['policy', 'explain', '--agent', 'bot', '--account', 'gh', '--at', '2025-01-01T00:00:00Z'],
      {
        command: 'policy explain',
        options: { agent: 'bot', account: 'gh', action: 'code', at: Date.parse('2025-01-01T00:00:00Z'), json: false },
      },
    ],
    [['policy', 'explain', '--agent', 'bot'], /required option '--account <id>' not specified/],
    [
      ['policy', 'explain', '--agent', 'bot', '--account', 'gh', '--action', 'fly'],
      /Allowed choices are list, code, aws_session/,
    ],
    [
      ['policy', 'explain', '--agent', 'bot', '--account', 'gh', '--at', 'yesterday'],
      /--at takes ISO 8601 or Unix seconds/,
    ],
    [
      ['policy', 'explain', '--agent', 'bot', '--account', 'gh', '--action', 'aws_session', '--duration', '1h30m'],
      {
        command: 'policy explain',
        options: { agent: 'bot', account: 'gh', action: 'aws_session', aws: { duration_seconds: 5400 }, json: false },
      },
    ],
    [
      ['policy', 'explain', '--agent', 'bot', '--account', 'gh', '--duration', '90x'],
      /--duration: expected a duration from 1s to 366d/,
    ],
    [['policy', 'apply', '--force'], /unknown option '--force'/],
  ]);
});

describe('audit reset, vault accept-rollback, doctor', () => {
  table([
    [
      ['audit', 'reset', '--reason', 'disk replaced'],
      { command: 'audit reset', options: { reason: 'disk replaced', json: false } },
    ],
    [['audit', 'reset', '--reason', 'x', '--json'], { command: 'audit reset', options: { reason: 'x', json: true } }],
    [['audit', 'reset'], /required option '--reason <text>' not specified/],
    [['vault', 'accept-rollback'], { command: 'vault accept-rollback', options: { json: false } }],
    [['vault', 'accept-rollback', '--json'], { command: 'vault accept-rollback', options: { json: true } }],
    [['doctor'], { command: 'doctor', options: null }],
    [['doctor', 'now'], /too many arguments/],
  ]);
});

describe('audit verify, tail, stats; restore', () => {
  table([
    [['audit', 'verify'], { command: 'audit verify', options: { json: false } }],
    [['audit', 'verify', '--json'], { command: 'audit verify', options: { json: true } }],
    [['audit', 'tail'], { command: 'audit tail', options: { lines: 20, follow: false, json: false } }],
    [
      ['audit', 'tail', '-n', '5', '-f', '--json'],
      { command: 'audit tail', options: { lines: 5, follow: true, json: true } },
    ],
    [['audit', 'tail', '-n', 'many'], /-n takes a whole number/],
    [['audit', 'stats'], { command: 'audit stats', options: { json: false } }],
    [
      ['audit', 'stats', '--since', '24h'],
      { command: 'audit stats', options: { since: { ago: 86_400_000 }, json: false } },
    ],
    [
      ['audit', 'stats', '--since', '1700000000', '--json'],
      { command: 'audit stats', options: { since: { at: 1_700_000_000_000 }, json: true } },
    ],
    [['audit', 'stats', '--since', 'last week'], /--since takes 24h, 7d, ISO 8601 or Unix seconds/],
    [['restore'], { command: 'restore', options: { yes: false, acceptRollback: false, json: false } }],
    [
      ['restore', '3', '-y', '--accept-rollback'],
      { command: 'restore', options: { generation: '3', yes: true, acceptRollback: true, json: false } },
    ],
    [['restore', '3', '4'], /too many arguments/],
  ]);
});

describe('mcp-config', () => {
  table([
    [
      ['mcp-config', '--client', 'cursor', '--agent', 'bot'],
      { command: 'mcp-config', options: { client: 'cursor', agent: 'bot' } },
    ],
    [
      ['mcp-config', '--client', 'claude-code', '--agent', 'bot', '--format', 'json'],
      { command: 'mcp-config', options: { client: 'claude-code', agent: 'bot', format: 'json' } },
    ],
    [['mcp-config', '--client', 'cursor', '--agent', 'bot', '--format', 'toml'], /--format for cursor: use json/],
    [['mcp-config', '--client', 'cursor', '--agent', 'Bad Name'], /invalid agent name/],
    [['mcp-config', '--client', 'emacs', '--agent', 'bot'], /Allowed choices are claude-desktop, claude-code/],
    [['mcp-config', '--agent', 'bot'], /required option '--client <client>' not specified/],
  ]);
});
