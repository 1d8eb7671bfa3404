import { describe, expect, test } from 'vitest';
import { TotpMcpError } from '../../src/core/errors.js';
import { STARTER_POLICY, buildPolicy, parsePolicy, policyHash } from '../../src/policy/index.js';
import { DESIGN_POLICY, lineOf, parse, parseError } from './fixtures.js';

/** Replace one occurrence (the test fails loudly if the fixture changed). */
function edit(text: string, from: string, to: string): string {
  expect(text).toContain(from);
  return text.replace(from, to);
}

describe('parsePolicy: the DESIGN example', () => {
  const p = parse(DESIGN_POLICY);

  test('keeps agents, rules in file order, and durations in seconds', () => {
    expect([...p.agents.keys()]).toEqual(['claude-desktop', 'terraform']);
    expect(p.agents.get('claude-desktop')).toEqual({ description: 'desktop assistant' });
    expect(p.rules.map((r) => r.id)).toEqual(['desktop-github', 'terraform-prod', 'never-bank']);
    const [gh, tf, bank] = p.rules;
    expect(gh).toMatchObject({
      effect: 'allow',
      approval: 'confirm',
      approval_ttl_seconds: 900,
      limit: { count: 10, per_seconds: 3600 },
      hours: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '20:00', tz: 'Europe/Berlin' },
      line: lineOf(DESIGN_POLICY, 'id: desktop-github'),
    });
    expect(gh?.aws).toBeUndefined();
    expect(tf?.aws).toEqual({
      roles: ['deploy'],
      max_duration_seconds: 3600,
      delivery: ['credential_process', 'profile'],
    });
    expect(bank).toMatchObject({ effect: 'deny', approval: 'none', actions: ['list', 'code', 'aws_session', 'fill'] });
  });

  test('the result is frozen', () => {
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.rules)).toBe(true);
    expect(Object.isFrozen(p.rules[0])).toBe(true);
    expect(Object.isFrozen(p.rules[0]?.accounts)).toBe(true);
  });

  test('the starter policy parses', () => {
    const s = parsePolicy(STARTER_POLICY, 'policy.yaml');
    expect(s.rules.length).toBeGreaterThanOrEqual(4);
    const features = new Set(
      s.rules.flatMap((r) => [r.effect, r.approval, r.limit && 'limit', r.hours && 'hours', r.aws && 'aws']),
    );
    for (const f of ['allow', 'deny', 'confirm', 'limit', 'hours', 'aws']) expect(features).toContain(f);
  });

  test('an aws_session rule without aws: gets every delivery except inline, any role, no cap', () => {
    const q = parse(`version: 1
agents: { t: {} }
rules:
  - { id: r, agents: [t], accounts: [x], actions: [aws_session] }
`);
    expect(q.rules[0]?.aws).toEqual({ delivery: ['credential_process', 'profile', 'exec', 'container'] });
  });

  test('durations: 30s, 15m, 1h, 2h30m, 1d', () => {
    const q = (d: string) =>
      parse(`version: 1
agents: { a: {} }
rules:
  - { id: r, agents: [a], accounts: [x], actions: [code], limit: { count: 1, per: ${d} } }
`).rules[0]?.limit?.per_seconds;
    expect(q('30s')).toBe(30);
    expect(q('15m')).toBe(900);
    expect(q('1h')).toBe(3600);
    expect(q('2h30m')).toBe(9000);
    expect(q('1d')).toBe(86_400);
  });

  test('hours with only days means whole days', () => {
    const q = parse(`version: 1
agents: { a: {} }
rules:
  - { id: r, agents: [a], accounts: [x], actions: [code], hours: { days: [sat, sun], tz: UTC } }
`);
    expect(q.rules[0]?.hours).toEqual({ days: ['sun', 'sat'], from: '00:00', to: '24:00', tz: 'UTC' });
  });

  test('an agent written with nothing after it is declared', () => {
    const q = parse(`version: 1
agents:
  a:
rules:
  - { id: r, agents: [a], accounts: [x], actions: [code] }
`);
    expect(q.agents.has('a')).toBe(true);
  });

  test('small YAML anchors and aliases are fine', () => {
    const q = parse(`version: 1
agents: { a: {}, b: {} }
rules:
  - { id: r1, agents: [a], accounts: &accts [x, y], actions: [code] }
  - { id: r2, agents: [b], accounts: *accts, actions: [code] }
`);
    expect(q.rules[1]?.accounts).toEqual(['x', 'y']);
  });
});

/**
 * Each case: an edit of the DESIGN policy, the marker of the line the error must name, and the
 * field path it must name.
 */
const ERROR_CASES: {
  name: string;
  from: string;
  to: string;
  line: string;
  lineDelta?: number;
  field: string;
  says?: RegExp;
}[] = [
  // Unknown keys at every level.
  {
    name: 'unknown top-level key',
    from: 'version: 1\n',
    to: 'version: 1\nextra: true\n',
    line: 'extra:',
    field: 'extra',
    says: /unknown field/,
  },
  {
    name: 'unknown key in an agent',
    from: 'terraform: {}',
    to: 'terraform: { descripton: x }',
    line: 'terraform:',
    field: 'agents.terraform.descripton',
    says: /unknown field "descripton"/,
  },
  // An unquoted comma in a flow mapping is YAML for a second key: the key is named.
  {
    name: 'comma in an unquoted description',
    from: 'terraform: {}',
    to: 'terraform: { description: Terraform, local and CI }',
    line: 'terraform:',
    field: 'agents.terraform.<key>',
    says: /unknown field "local and CI"/,
  },
  {
    name: 'unknown key in a rule',
    from: '    approval_ttl: 15m',
    to: '    approval_ttl: 15m\n    limt: 3',
    line: 'limt:',
    field: 'rules[0].limt',
    says: /unknown field/,
  },
  {
    name: 'unknown key in limit',
    from: '{ count: 10, per: 1h }',
    to: '{ count: 10, per: 1h, burst: 2 }',
    line: 'limit:',
    field: 'rules[0].limit.burst',
  },
  {
    name: 'unknown key in hours',
    from: 'tz: Europe/Berlin }',
    to: 'tz: Europe/Berlin, timezone: UTC }',
    line: 'hours:',
    field: 'rules[0].hours.timezone',
  },
  {
    name: 'unknown key in aws',
    from: 'aws: { roles:',
    to: 'aws: { role: [x], roles:',
    line: 'aws:',
    field: 'rules[1].aws.role',
  },
  {
    name: 'misspelt effect key',
    from: '    effect: deny',
    to: '    efect: deny',
    line: 'efect:',
    field: 'rules[2].efect',
  },
  // Wrong types.
  {
    name: 'limit count as text',
    from: 'count: 10',
    to: 'count: ten',
    line: 'limit:',
    field: 'rules[0].limit.count',
    says: /whole number/,
  },
  {
    name: 'limit count 0',
    from: 'count: 10',
    to: 'count: 0',
    line: 'limit:',
    field: 'rules[0].limit.count',
    says: /at least 1/,
  },
  {
    name: 'limit count fractional',
    from: 'count: 10',
    to: 'count: 2.5',
    line: 'limit:',
    field: 'rules[0].limit.count',
  },
  {
    name: 'actions as a string',
    from: 'actions: [aws_session]',
    to: 'actions: aws_session',
    line: 'actions: aws_session',
    field: 'rules[1].actions',
    says: /list/,
  },
  {
    name: 'unknown action',
    from: 'actions: [list, code]',
    to: 'actions: [list, codes]',
    line: 'actions: [list, codes]',
    field: 'rules[0].actions[1]',
  },
  {
    name: 'agents as a list',
    from: 'agents:\n  claude-desktop: { description: desktop assistant }\n  terraform: {}',
    to: 'agents: [claude-desktop, terraform]',
    line: 'agents: [claude-desktop',
    field: 'agents',
  },
  {
    name: 'effect misspelt',
    from: 'effect: deny ',
    to: 'effect: Deny ',
    line: 'effect:',
    field: 'rules[2].effect',
    says: /allow or deny/,
  },
  {
    name: 'approval yes',
    from: 'approval: confirm ',
    to: 'approval: yes ',
    line: 'approval: yes',
    field: 'rules[0].approval',
  },
  {
    name: 'rule as a string',
    from: '  - id: never-bank\n    effect: deny               # allow (default) | deny\n    agents: ["*"]\n    accounts: ["tag:bank"]\n',
    to: '  - never-bank\n',
    line: '- never-bank',
    field: 'rules[2]',
  },
  {
    name: 'upper-case account selector',
    from: 'accounts: [aws-prod]',
    to: 'accounts: [AWS-Prod]',
    line: 'AWS-Prod',
    field: 'rules[1].accounts[0]',
    says: /account id/,
  },
  { name: 'bad tag selector', from: '"tag:bank"', to: '"tag:Bank"', line: 'tag:Bank', field: 'rules[2].accounts[0]' },
  {
    name: 'unknown delivery',
    from: 'delivery: [credential_process, profile]',
    to: 'delivery: [credential_process, clipboard]',
    line: 'clipboard',
    field: 'rules[1].aws.delivery[1]',
  },
  {
    name: 'bad day',
    from: 'days: [mon, tue,',
    to: 'days: [monday, tue,',
    line: 'monday',
    field: 'rules[0].hours.days[0]',
  },
  // Durations.
  {
    name: 'duration with a space',
    from: 'per: 1h',
    to: 'per: 1 hour',
    line: 'limit:',
    field: 'rules[0].limit.per',
    says: /expected a duration like 90s, 15m, 1h30m, 12h or 1d/,
  },
  {
    name: 'zero duration',
    from: 'per: 1h',
    to: 'per: 0m',
    line: 'limit:',
    field: 'rules[0].limit.per',
    says: /duration/,
  },
  {
    name: 'negative approval_ttl',
    from: 'approval_ttl: 15m',
    to: 'approval_ttl: -1',
    line: 'approval_ttl',
    field: 'rules[0].approval_ttl',
    says: /or 0 to ask every time/,
  },
  {
    name: 'bare number duration',
    from: 'approval_ttl: 15m',
    to: 'approval_ttl: 15',
    line: 'approval_ttl',
    field: 'rules[0].approval_ttl',
    says: /duration/,
  },
  {
    name: 'unknown unit',
    from: 'max_duration: 1h',
    to: 'max_duration: 1y',
    line: 'max_duration',
    field: 'rules[1].aws.max_duration',
    says: /duration/,
  },
  { name: 'units out of order', from: 'per: 1h', to: 'per: 30m1h', line: 'limit:', field: 'rules[0].limit.per' },
  // Hours.
  {
    name: 'unknown time zone',
    from: 'tz: Europe/Berlin',
    to: 'tz: Europe/Berlinn',
    line: 'hours:',
    field: 'rules[0].hours.tz',
    says: /time zone/,
  },
  {
    name: 'path-like time zone',
    from: 'tz: Europe/Berlin',
    to: 'tz: "../../etc/passwd"',
    line: 'hours:',
    field: 'rules[0].hours.tz',
  },
  {
    name: 'H:MM time',
    from: 'from: "08:00"',
    to: 'from: "8:00"',
    line: 'hours:',
    field: 'rules[0].hours.from',
    says: /HH:MM/,
  },
  {
    name: '24:00 time',
    from: 'to: "20:00"',
    to: 'to: "24:00"',
    line: 'hours:',
    field: 'rules[0].hours.to',
    says: /HH:MM/,
  },
  { name: 'from equals to', from: 'to: "20:00"', to: 'to: "08:00"', line: 'hours:', field: 'rules[0].hours.to' },
  { name: 'from without to', from: ', to: "20:00"', to: '', line: 'hours:', field: 'rules[0].hours' },
  // Cross-field rules.
  {
    name: 'duplicate rule id',
    from: 'id: never-bank',
    to: 'id: desktop-github',
    line: 'effect: deny',
    lineDelta: -1,
    field: 'rules[2].id',
    says: /duplicate rule id/,
  },
  {
    name: 'undeclared agent',
    from: 'agents: [terraform]',
    to: 'agents: [terraform, ci-bot]',
    line: 'ci-bot',
    field: 'rules[1].agents[1]',
    says: /not declared/,
  },
  {
    name: 'empty accounts',
    from: 'accounts: [aws-prod]',
    to: 'accounts: []',
    line: 'accounts: []',
    field: 'rules[1].accounts',
    says: /at least one/,
  },
  {
    name: 'empty agents of a rule',
    from: 'agents: [terraform]',
    to: 'agents: []',
    line: 'agents: []',
    field: 'rules[1].agents',
    says: /at least one/,
  },
  {
    name: 'empty actions',
    from: 'actions: [aws_session]',
    to: 'actions: []',
    line: 'actions: []',
    field: 'rules[1].actions',
    says: /at least one/,
  },
  {
    name: 'empty days',
    from: 'days: [mon, tue, wed, thu, fri]',
    to: 'days: []',
    line: 'hours:',
    field: 'rules[0].hours.days',
  },
  { name: 'empty roles', from: 'roles: [deploy]', to: 'roles: []', line: 'aws:', field: 'rules[1].aws.roles' },
  {
    name: 'allow rule without actions',
    from: '    actions: [aws_session]\n',
    to: '',
    line: 'id: terraform-prod',
    field: 'rules[1].actions',
    says: /must list its actions/,
  },
  {
    name: 'deny rule with a condition',
    from: '    accounts: ["tag:bank"]\n',
    to: '    accounts: ["tag:bank"]\n    limit: { count: 1, per: 1h }\n',
    line: 'count: 1, per',
    field: 'rules[2].limit',
    says: /deny rule takes no conditions/,
  },
  {
    name: 'approval_ttl without confirm',
    from: 'approval: confirm ',
    to: 'approval: none ',
    line: 'approval_ttl',
    field: 'rules[0].approval_ttl',
    says: /approval: confirm/,
  },
  {
    name: 'aws block without aws_session',
    from: 'actions: [aws_session]',
    to: 'actions: [code]',
    line: 'aws:',
    field: 'rules[1].aws',
    says: /aws_session/,
  },
  {
    name: 'agent name with a capital',
    from: 'terraform: {}',
    to: 'Terraform: {}',
    line: 'Terraform',
    field: 'agents.<key>',
    says: /expected an agent name/,
  },
  {
    name: 'missing rules',
    from: DESIGN_POLICY.slice(DESIGN_POLICY.indexOf('rules:')),
    to: '',
    line: 'version',
    field: 'rules',
  },
  // YAML level.
  {
    name: 'duplicate key',
    from: '    accounts: [aws-prod]\n',
    to: '    accounts: [aws-prod]\n    accounts: ["*"]\n',
    line: 'accounts: ["*"]',
    field: '',
    says: /duplicate key/,
  },
];

describe('parsePolicy: errors name file:line and field, never a value', () => {
  test.each(ERROR_CASES)('$name', ({ from, to, line, lineDelta, field, says }) => {
    const text = edit(DESIGN_POLICY, from, to);
    const e = parseError(text);
    expect(e.code).toBe('invalid');
    const expectedLine = lineOf(text, line) + (lineDelta ?? 0);
    const prefix = field === '' ? `policy.yaml:${expectedLine}: ` : `policy.yaml:${expectedLine}: ${field}: `;
    expect(e.message.split('\n')).toContainEqual(
      expect.stringMatching(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)),
    );
    if (says) expect(e.message).toMatch(says);
  });

  test('version 2 is refused as an unsupported version', () => {
    const e = parseError(edit(DESIGN_POLICY, 'version: 1', 'version: 2'));
    expect(e.code).toBe('unsupported_version');
    expect(e.message).toBe('policy.yaml:1: version: unsupported policy version (this totp-mcp reads version 1)');
    expect(e).toBeInstanceOf(TotpMcpError);
  });

  test('a version 2 file with new keys still says "unsupported policy version"', () => {
    const e = parseError(`version: 2\nagents: {}\nrules: []\nsecrets_backend: vault\n`);
    expect(e.message).toMatch(/unsupported policy version/);
  });

  test('version as text is refused; a missing version is named', () => {
    expect(parseError(edit(DESIGN_POLICY, 'version: 1', 'version: "1"')).message).toMatch(/unsupported policy version/);
    expect(parseError(edit(DESIGN_POLICY, 'version: 1\n', '')).message).toMatch(/^policy\.yaml:\d+: version: required/);
  });

  test('no rules, no agents, not a mapping, empty file', () => {
    expect(
      parseError(edit(DESIGN_POLICY, DESIGN_POLICY.slice(DESIGN_POLICY.indexOf('rules:')), 'rules: []\n')).message,
    ).toMatch(/rules: must list at least one rule/);
    expect(
      parseError('version: 1\nagents: {}\nrules:\n  - { id: r, agents: ["*"], accounts: [x], effect: deny }\n').message,
    ).toMatch(/agents: must declare at least one agent/);
    expect(parseError('- version: 1\n').message).toMatch(/^policy\.yaml:1: expected a mapping/);
    expect(parseError('').message).toMatch(/^policy\.yaml/);
  });

  test('several problems are all listed, in line order', () => {
    const text = edit(edit(DESIGN_POLICY, 'per: 1h', 'per: soon'), 'tz: Europe/Berlin', 'tz: Mars/Olympus');
    const lines = parseError(text).message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/rules\[0\]\.limit\.per/);
    expect(lines[1]).toMatch(/rules\[0\]\.hours\.tz/);
  });

  test('the message never contains a planted canary value', () => {
    const CANARY = 'JBSWY3DPEHPK3PXPcanary';
    const lower = 'canaryjbswy3dpehpk3pxp';
    const variants = [
      edit(DESIGN_POLICY, 'per: 1h', `per: ${CANARY}`),
      edit(DESIGN_POLICY, 'tz: Europe/Berlin', `tz: ${CANARY}`),
      edit(DESIGN_POLICY, 'from: "08:00"', `from: "${CANARY}"`),
      edit(DESIGN_POLICY, 'accounts: [aws-prod]', `accounts: [${CANARY}]`),
      edit(DESIGN_POLICY, 'agents: [terraform]', `agents: [${lower}]`),
      edit(DESIGN_POLICY, 'roles: [deploy]', `roles: ["${CANARY}!"]`),
      edit(DESIGN_POLICY, 'effect: deny ', `effect: ${CANARY} `),
      edit(DESIGN_POLICY, 'count: 10', `count: ${CANARY}`),
      edit(DESIGN_POLICY, 'approval_ttl: 15m', `approval_ttl: 15m\n    limt: ${CANARY}`),
      edit(DESIGN_POLICY, 'terraform: {}', `terraform: { description: [${CANARY}] }`),
      edit(DESIGN_POLICY, 'terraform: {}', `terraform: {}\n  ${CANARY}: {}`),
      edit(DESIGN_POLICY, 'version: 1', `version: ${CANARY}`),
      edit(DESIGN_POLICY, 'id: never-bank', `id: ${CANARY}`),
      edit(DESIGN_POLICY, '    effect: deny', `    ${CANARY}: x\n    effect: deny`),
      `version: 1\nagents: { a: {} }\nrules:\n  - { id: r, agents: [a], accounts: [x], actions: [code], description: "${CANARY}" }\n  - { id: r, agents: [a], accounts: [x], actions: [code] }\n`,
      `version: 1\nagents: { a: {} }\nrules: "${CANARY}`,
      `version: 1\nagents: { a: {} }\nrules: !secret ${CANARY}\n`,
    ];
    for (const text of variants) {
      const e = parseError(text);
      expect(e.message.toLowerCase()).not.toContain('canary');
      expect(e.message.toLowerCase()).not.toContain('jbswy3dp');
    }
  });
});

describe('parsePolicy: hostile input', () => {
  test('an alias bomb is refused quickly', () => {
    const bomb = [
      'version: 1',
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
      'agents: { a: {} }',
      'rules: [*g]',
      '',
    ].join('\n');
    const t0 = Date.now();
    const e = parseError(bomb);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(e.message).toMatch(/alias/);
  });

  test('deep nesting is refused with an error, not a crash', () => {
    const e = parseError(`version: 1\nrules: ${'['.repeat(50_000)}${']'.repeat(50_000)}\n`);
    expect(e.message).toMatch(/^policy\.yaml:2: the YAML nests too deeply/);
  });

  test('more than the allowed number of aliases is refused', () => {
    const many = `version: 1\nagents: { a: {} }\nx: &x y\nrules:\n${Array.from({ length: 150 }, (_, i) => `  - { id: r${i}, agents: [a], accounts: [*x], actions: [code] }`).join('\n')}\n`;
    expect(parseError(many).message).toMatch(/too many YAML aliases/);
  });

  test('files over 1 MiB are refused before parsing', () => {
    const big = `${DESIGN_POLICY}#${'x'.repeat(1024 * 1024)}\n`;
    expect(parseError(big).message).toBe('policy.yaml: the policy file is larger than 1 MiB');
    // Multi-byte characters count as bytes.
    const wide = `${DESIGN_POLICY}#${'é'.repeat(600 * 1024)}\n`;
    expect(parseError(wide).message).toMatch(/larger than 1 MiB/);
  });

  test('several YAML documents, custom tags and merge keys are refused', () => {
    expect(parseError(`${DESIGN_POLICY}---\nversion: 1\n`).message).toMatch(/more than one YAML document/);
    expect(parseError(edit(DESIGN_POLICY, 'count: 10', 'count: !!binary 10')).message).toMatch(/^policy\.yaml:\d+: /);
    const merged = `version: 1
agents: { a: {} }
base: &base { agents: [a], accounts: ["*"], actions: [code] }
rules:
  - { <<: *base, id: r }
`;
    expect(parseError(merged).message).toMatch(/unknown field/);
  });

  test('__proto__ and constructor keys neither pollute nor pass', () => {
    const e = parseError(`version: 1
agents:
  __proto__: { description: x }
  constructor: {}
rules:
  - { id: r, agents: ["*"], accounts: [x], actions: [code] }
`);
    expect(e.message).toBe(`policy.yaml:3: agents.<key>: reserved key`);
    expect(({} as Record<string, unknown>)['description']).toBeUndefined();
    // "constructor" is a legal agent name and stays an ordinary one.
    const p = parse(`version: 1
agents:
  constructor: {}
rules:
  - { id: r, agents: [constructor], accounts: [x], actions: [code] }
`);
    expect([...p.agents.keys()]).toEqual(['constructor']);
  });
});

test.each(['0', '0s', '0m', '0h0m'])('approval_ttl: %s means ask every time, as leaving it out does', (ttl) => {
  const p = parsePolicy(edit(DESIGN_POLICY, 'approval_ttl: 15m', `approval_ttl: ${ttl}`), 'policy.yaml');
  expect(p.rules[0]?.approval).toBe('confirm');
  expect(p.rules[0]?.approval_ttl_seconds).toBeUndefined();
});

test('an unknown key that could be a pasted secret is not named', () => {
  const e = parseError(edit(DESIGN_POLICY, 'terraform: {}', 'terraform: { JBSWY3DPEHPK3PXPJBSWY3DP: x }'));
  expect(e.message).toMatch(/agents\.terraform\.<key>: unknown field$/m);
  expect(e.message).not.toContain('JBSWY3DP');
});

test('a YAML syntax error gets a hint about YAML, not about unknown fields', () => {
  const e = parseError(edit(DESIGN_POLICY, '  terraform: {}', '\tterraform: {}'));
  expect(e.message).toMatch(/tab|indent|YAML/);
  expect(e.hint).not.toMatch(/unknown fields/);
  expect(e.hint).toMatch(/indent with spaces/);
  expect(parseError(edit(DESIGN_POLICY, 'version: 1', 'version: 1\nextra: 1')).hint).toMatch(
    /unknown fields are errors on purpose/,
  );
});

describe('buildPolicy', () => {
  test('validates plain objects with the same schema (no line numbers)', () => {
    expect(() =>
      buildPolicy(
        {
          version: 1,
          agents: { a: {} },
          rules: [{ id: 'r', agents: ['a'], accounts: ['x'], actions: ['code'], typo: 1 }],
        },
        'obj',
      ),
    ).toThrow(/^obj: rules\[0\]\.typo: unknown field "typo"$/);
  });
});

describe('policyHash', () => {
  test('is the sha256 of the exact bytes', () => {
    expect(policyHash('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(policyHash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(policyHash(Buffer.from(DESIGN_POLICY))).toBe(policyHash(DESIGN_POLICY));
    expect(policyHash(DESIGN_POLICY.replace(/\n/g, '\r\n'))).not.toBe(policyHash(DESIGN_POLICY));
    expect(policyHash(`${DESIGN_POLICY} `)).not.toBe(policyHash(DESIGN_POLICY));
  });
});
