import { Buffer } from 'node:buffer';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, visit, type Document } from 'yaml';
import type * as z from 'zod/v4';
import { TotpMcpError } from '../core/errors.js';
import { isZeroDuration, parseDuration } from '../core/duration.js';
import { policySchema, type RawPolicy, type RawRule } from './schema.js';
import {
  ACTIONS,
  DEFAULT_APPROVAL_TIMEOUT_SECONDS,
  DEFAULT_DELIVERIES,
  MAX_POLICY_BYTES,
  POLICY_VERSION,
  WEEKDAYS,
  type Action,
  type AgentInfo,
  type Policy,
  type PolicyRule,
  type RuleAws,
  type RuleHours,
  type Weekday,
} from './types.js';

/** Most alias expansions a policy may contain (the YAML "billion laughs" guard). */
const MAX_ALIAS_COUNT = 100;
/** At most this many problems are listed in one error. */
const MAX_PROBLEMS = 10;

type Path = readonly (string | number)[];

interface Problem {
  readonly path: Path;
  readonly message: string;
  /** Point at the key's line rather than the value's (unknown fields, misplaced conditions). */
  readonly atKey?: boolean;
  /** Known line (YAML syntax errors). */
  readonly line?: number;
}

/** Finds the 1-based line of a path in the document, or undefined. */
type Locator = (path: Path, atKey: boolean) => number | undefined;

/**
 * Path segments are field names, list indexes and agent names. A segment is printed only when it
 * looks like an identifier, so that a mistyped key can be found but nothing that might be a
 * secret pasted in the wrong place is ever echoed.
 */
const PRINTABLE_SEGMENT = /^[a-z0-9][a-z0-9_-]{0,31}$/;

function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? printable(seg) : `.${printable(seg)}`;
  }
  return out;
}

const printable = (seg: string): string => (PRINTABLE_SEGMENT.test(seg) ? seg : '<key>');

const YAML_MESSAGES: Readonly<Record<string, string>> = {
  DUPLICATE_KEY: 'duplicate key',
  BAD_INDENT: 'bad indentation',
  TAB_AS_INDENT: 'tab used for indentation',
  MULTIPLE_DOCS: 'more than one YAML document',
  TAG_RESOLVE_FAILED: 'unknown YAML tag',
  BAD_ALIAS: 'alias to an unknown anchor',
  RESOURCE_EXHAUSTION: 'the YAML nests too deeply or expands too much',
  NON_STRING_KEY: 'keys must be plain names',
};

const FIELD_HINT = 'fix the named line and field; unknown fields are errors on purpose';
const YAML_HINT =
  'fix the YAML on the named line: indent with spaces, quote text that holds ": " or starts with a special character';

function throwProblems(fileName: string, problems: readonly Problem[], locate?: Locator, hint = FIELD_HINT): never {
  const located = problems.map((p) => ({ ...p, line: p.line ?? locate?.(p.path, p.atKey === true) }));
  located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  const all = [
    ...new Set(
      located.map((p) => {
        const where = p.line === undefined ? fileName : `${fileName}:${p.line}`;
        const field = formatPath(p.path);
        return field === '' ? `${where}: ${p.message}` : `${where}: ${field}: ${p.message}`;
      }),
    ),
  ];
  const lines = all.slice(0, MAX_PROBLEMS);
  if (all.length > MAX_PROBLEMS) lines.push(`(and ${all.length - MAX_PROBLEMS} more problems)`);
  throw new TotpMcpError('invalid', lines.join('\n'), { hint });
}

/**
 * Parses and validates `policy.yaml`. Errors are TotpMcpError('invalid') whose message names the
 * file, the line and the field path of every problem (at most ten), never a value; a version
 * other than 1 is TotpMcpError('unsupported_version').
 */
export function parsePolicy(text: string, fileName: string): Policy {
  if (typeof text !== 'string') throw new TotpMcpError('invalid', `${fileName}: expected the policy as text`);
  if (text.length > MAX_POLICY_BYTES || Buffer.byteLength(text, 'utf8') > MAX_POLICY_BYTES) {
    throw new TotpMcpError('invalid', `${fileName}: the policy file is larger than 1 MiB`);
  }
  const lineCounter = new LineCounter();
  let doc: Document;
  try {
    doc = parseDocument(text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      strict: true,
      version: '1.2',
      schema: 'core',
      merge: false,
    });
  } catch {
    // e.g. a stack overflow on pathological input; the library's message may quote the text.
    throw new TotpMcpError('invalid', `${fileName}: the policy file could not be read as YAML`);
  }
  const lineAt = (offset: number | undefined): number | undefined =>
    offset === undefined ? undefined : lineCounter.linePos(offset).line;

  const yamlProblems = [...doc.errors, ...doc.warnings].map((e): Problem => ({
    path: [],
    message: YAML_MESSAGES[e.code] ?? `YAML syntax error (${e.code})`,
    line: lineAt(e.pos[0]) ?? 1,
  }));
  if (yamlProblems.length > 0) throwProblems(fileName, yamlProblems, undefined, YAML_HINT);

  let aliases = 0;
  visit(doc, {
    Alias: () => {
      aliases++;
    },
  });
  if (aliases > MAX_ALIAS_COUNT) throwProblems(fileName, [{ path: [], message: 'too many YAML aliases' }]);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    // The library's message may quote the document; ours is fixed.
    throwProblems(fileName, [
      { path: [], message: 'too many YAML alias expansions, or an alias to an unknown anchor' },
    ]);
  }
  const locate: Locator = (path, atKey) => locateNode(doc, path, atKey, lineAt);
  return validate(raw, fileName, locate);
}

/**
 * Validates a policy given as a plain object (the shape of the YAML file). For tests and for
 * callers that already hold parsed data; messages name the field but no line.
 */
export function buildPolicy(raw: unknown, fileName = 'policy'): Policy {
  return validate(raw, fileName);
}

function validate(raw: unknown, fileName: string, locate?: Locator): Policy {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const version = (raw as Record<string, unknown>)['version'];
    if (version === undefined)
      throwProblems(fileName, [{ path: ['version'], message: 'required: version: 1' }], locate);
    if (version !== POLICY_VERSION) {
      const line = locate?.(['version'], false);
      const where = line === undefined ? fileName : `${fileName}:${line}`;
      throw new TotpMcpError(
        'unsupported_version',
        `${where}: version: unsupported policy version (this totp-mcp reads version 1)`,
        {
          hint: 'upgrade totp-mcp, or write the policy for version 1',
        },
      );
    }
  }
  const reserved = reservedKeys(raw, []);
  if (reserved.length > 0) throwProblems(fileName, reserved, locate);
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) throwProblems(fileName, parsed.error.issues.flatMap(issueProblems), locate);
  const data = parsed.data;
  const problems = semanticProblems(data);
  if (problems.length > 0) throwProblems(fileName, problems, locate);
  return build(data, fileName, locate);
}

/** `__proto__` as a key would be dropped or misread by object-based code; refuse it anywhere. */
function reservedKeys(value: unknown, path: Path): Problem[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((v: unknown, i) => reservedKeys(v, [...path, i]));
  const out: Problem[] = [];
  for (const key of Object.keys(value)) {
    if (key === '__proto__') out.push({ path: [...path, key], message: 'reserved key', atKey: true });
    else out.push(...reservedKeys((value as Record<string, unknown>)[key], [...path, key]));
  }
  return out;
}

function issueProblems(issue: z.core.$ZodIssue): Problem[] {
  const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...path, key], message: unknownField(key), atKey: true }));
  }
  if (issue.code === 'invalid_key') {
    const inner = issue.issues[0];
    return [{ path, message: inner?.message ?? 'invalid name', atKey: true }];
  }
  if (issue.code === 'invalid_union') return [{ path, message: 'unexpected value' }];
  return [{ path, message: issue.message }];
}

/**
 * An unknown key is named, so that `{ description: a, b }` (YAML for a second key "b") is easy to
 * see; but not when it could be a secret pasted in the wrong place (a long run of key-like
 * characters), or when it is not short, printable text.
 */
const NAMEABLE_KEY = /^[\x20-\x7e]{1,40}$/;
const SECRET_LIKE = /[A-Za-z0-9+/=_-]{16,}/;
const unknownField = (key: string): string =>
  NAMEABLE_KEY.test(key) && !SECRET_LIKE.test(key) ? `unknown field ${JSON.stringify(key)}` : 'unknown field';

const CONDITIONS = ['approval_ttl', 'approval_via', 'approval_timeout', 'limit', 'hours', 'aws'] as const;

function semanticProblems(data: RawPolicy): Problem[] {
  const problems: Problem[] = [];
  const declared = new Set(Object.keys(data.agents));
  const firstIndex = new Map<string, number>();
  data.rules.forEach((r, i) => {
    const at = (...p: (string | number)[]): Path => ['rules', i, ...p];
    const first = firstIndex.get(r.id);
    if (first === undefined) firstIndex.set(r.id, i);
    else problems.push({ path: at('id'), message: `duplicate rule id (rules[${first}] has the same id)` });
    r.agents.forEach((a, k) => {
      if (a !== '*' && !declared.has(a))
        problems.push({ path: at('agents', k), message: 'agent is not declared under agents:' });
    });
    if ((r.effect ?? 'allow') === 'deny') {
      if (r.approval !== undefined && r.approval !== 'none') {
        problems.push({ path: at('approval'), message: 'a deny rule takes no conditions', atKey: true });
      }
      for (const key of CONDITIONS) {
        if (r[key] !== undefined)
          problems.push({ path: at(key), message: 'a deny rule takes no conditions', atKey: true });
      }
      return;
    }
    if (r.actions === undefined) problems.push({ path: at('actions'), message: 'an allow rule must list its actions' });
    if (r.approval_ttl !== undefined && r.approval !== 'confirm') {
      problems.push({ path: at('approval_ttl'), message: 'approval_ttl needs approval: confirm', atKey: true });
    }
    for (const key of ['approval_via', 'approval_timeout'] as const) {
      if (r[key] !== undefined && r.approval !== 'confirm')
        problems.push({ path: at(key), message: `${key} needs approval: confirm`, atKey: true });
    }
    if (r.aws !== undefined && !(r.actions ?? []).includes('aws_session')) {
      problems.push({
        path: at('aws'),
        message: 'aws applies only to a rule whose actions include aws_session',
        atKey: true,
      });
    }
    if (r.hours !== undefined) problems.push(...hoursProblems(r, at));
  });
  return problems;
}

function hoursProblems(r: RawRule, at: (...p: (string | number)[]) => Path): Problem[] {
  const h = r.hours;
  if (h === undefined) return [];
  if ((h.from === undefined) !== (h.to === undefined)) {
    return [{ path: at('hours'), message: 'give both from and to, or neither (whole days)', atKey: true }];
  }
  if (h.from === undefined && h.days === undefined) {
    return [{ path: at('hours'), message: 'give days, or from and to', atKey: true }];
  }
  if (h.from !== undefined && h.from === h.to) {
    return [{ path: at('hours', 'to'), message: 'must differ from from (for whole days, give only days)' }];
  }
  return [];
}

const uniq = <T>(xs: readonly T[]): T[] => [...new Set(xs)];

function build(data: RawPolicy, fileName: string, locate?: Locator): Policy {
  const agents = new Map<string, AgentInfo>();
  for (const [name, info] of Object.entries(data.agents)) {
    agents.set(
      name,
      Object.freeze({
        ...(info?.description === undefined ? {} : { description: info.description }),
        ...(info?.max_calls === undefined
          ? {}
          : {
              max_calls: Object.freeze({
                count: info.max_calls.count,
                per_seconds: parseDuration(info.max_calls.per) ?? 0,
              }),
            }),
      }),
    );
  }
  const rules = data.rules.map((r, index): PolicyRule => {
    const effect = r.effect ?? 'allow';
    const actions: Action[] = uniq(r.actions ?? (effect === 'deny' ? ACTIONS : []));
    const line = locate?.(['rules', index], false);
    const ttl =
      r.approval_ttl === undefined || isZeroDuration(r.approval_ttl)
        ? undefined
        : parseDuration(String(r.approval_ttl));
    const rule: PolicyRule = {
      id: r.id,
      index,
      ...(line === undefined ? {} : { line }),
      effect,
      ...(r.description === undefined ? {} : { description: r.description }),
      agents: Object.freeze(uniq(r.agents)),
      accounts: Object.freeze(uniq(r.accounts)),
      actions: Object.freeze(actions),
      approval: r.approval ?? 'none',
      ...(ttl === undefined ? {} : { approval_ttl_seconds: ttl }),
      // Only what the file says: the defaults (approvalChannels, approvalTimeoutSeconds) apply where it says nothing.
      ...(r.approval_via === undefined ? {} : { approval_via: Object.freeze(uniq(r.approval_via)) }),
      ...(r.approval_timeout === undefined
        ? {}
        : { approval_timeout_seconds: parseDuration(r.approval_timeout) ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS }),
      ...(r.limit === undefined
        ? {}
        : { limit: Object.freeze({ count: r.limit.count, per_seconds: parseDuration(r.limit.per) ?? 0 }) }),
      ...(r.hours === undefined ? {} : { hours: buildHours(r.hours) }),
      ...(effect === 'allow' && actions.includes('aws_session') ? { aws: buildAws(r.aws) } : {}),
    };
    return Object.freeze(rule);
  });
  return Object.freeze({ version: 1, fileName, agents, rules: Object.freeze(rules) });
}

function buildHours(h: NonNullable<RawRule['hours']>): RuleHours {
  const days: Weekday[] = h.days === undefined ? [...WEEKDAYS] : WEEKDAYS.filter((d) => h.days?.includes(d));
  return Object.freeze({ days: Object.freeze(days), from: h.from ?? '00:00', to: h.to ?? '24:00', tz: h.tz });
}

function buildAws(a: RawRule['aws']): RuleAws {
  const max = a?.max_duration === undefined ? undefined : parseDuration(a.max_duration);
  return Object.freeze({
    ...(a?.roles === undefined ? {} : { roles: Object.freeze(uniq(a.roles)) }),
    ...(max === undefined ? {} : { max_duration_seconds: max }),
    delivery: Object.freeze(a?.delivery === undefined ? [...DEFAULT_DELIVERIES] : uniq(a.delivery)),
  });
}

/** Line of the node at `path` (or of its key), walking up to the nearest node that exists. */
function locateNode(
  doc: Document,
  path: Path,
  atKey: boolean,
  lineAt: (offset: number | undefined) => number | undefined,
): number | undefined {
  let node: unknown = doc.contents;
  let line = lineOf(node, lineAt) ?? 1;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return line;
      const keyLine = lineOf(pair.key, lineAt) ?? line;
      if (atKey && i === path.length - 1) return keyLine;
      node = pair.value;
      line = lineOf(node, lineAt) ?? keyLine;
    } else if (isSeq(node) && typeof seg === 'number') {
      node = node.items[seg];
      if (node === undefined) return line;
      line = lineOf(node, lineAt) ?? line;
    } else {
      return line;
    }
  }
  return line;
}

function lineOf(node: unknown, lineAt: (offset: number | undefined) => number | undefined): number | undefined {
  if (node === null || typeof node !== 'object' || !('range' in node)) return undefined;
  const range = (node as { range?: readonly number[] | null }).range;
  return lineAt(range?.[0]);
}
