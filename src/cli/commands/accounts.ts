import {
  addAccount,
  draftFromSecret,
  draftFromUri,
  listAccounts,
  removeAccount,
  renameAccount,
  retagAccount,
  type SecretOptions,
} from '../../app/accounts.js';
import { fail } from '../../core/errors.js';
import type { AccountDraft } from '../../core/model.js';
import { Redacted } from '../../core/redacted.js';
import { json, printable, table } from '../format.js';
import { promptConfirm, promptSecret } from '../prompt.js';
import type { Runtime } from '../runtime.js';

export interface AddOptions extends SecretOptions {
  uri?: string;
  secretStdin?: boolean;
  tag?: string[];
}

const TYPE_FLAGS = ['type', 'algorithm', 'digits', 'period', 'counter'] as const;

/** Reads one secret value: a hidden prompt on a terminal, else all of stdin. */
async function readSecretInput(rt: Runtime, what: string): Promise<Redacted> {
  if (rt.io.interactive) return promptSecret(`${what}:`);
  const text = (await rt.io.readStdin()).trim();
  if (text === '') fail('usage', `no ${what.toLowerCase()} on standard input`);
  return new Redacted(text);
}

/** What was pasted at the secret prompt (or piped): a base32 secret, or the whole otpauth:// URI (the common case). */
function secretOrUri(input: Redacted, o: AddOptions, id: string): AccountDraft {
  if (!/^\s*(otpauth|steam):\/\//i.test(input.reveal())) return draftFromSecret(input, o, id);
  const given = TYPE_FLAGS.filter((k) => o[k] !== undefined);
  if (given.length > 0) fail('usage', `--${given.join(', --')} cannot be combined with a URI: the URI carries them`);
  return draftFromUri(input, { issuer: o.issuer, label: o.label });
}

export async function runAdd(rt: Runtime, id: string, o: AddOptions): Promise<void> {
  if (o.uri !== undefined && o.secretStdin) fail('usage', 'give either --uri or --secret-stdin, not both');
  let draft;
  if (o.uri !== undefined) {
    const given = TYPE_FLAGS.filter((k) => o[k] !== undefined);
    if (given.length > 0) fail('usage', `--${given.join(', --')} cannot be combined with --uri: the URI carries them`);
    const uri = o.uri === '-' ? await readSecretInput(rt, 'otpauth:// URI') : new Redacted(o.uri);
    draft = draftFromUri(uri, { issuer: o.issuer, label: o.label });
  } else if (o.secretStdin || rt.io.interactive) {
    draft = secretOrUri(await readSecretInput(rt, 'Secret (base32) or otpauth:// URI'), o, id);
  } else {
    fail('usage', 'give --uri URI, --uri - (URI on stdin) or --secret-stdin (base32 secret on stdin)');
  }
  const { addWarnings } = await import('../../app/add-checks.js');
  let warnings: string[] = [];
  const a = await addAccount(rt.ctx, id, draft, o.tag ?? [], (existing) => {
    warnings = addWarnings(existing, draft);
  });
  for (const w of warnings) rt.io.err(`warning: ${w}\n`);
  const what =
    a.type === 'steam'
      ? 'steam'
      : `${a.type} ${a.algorithm} ${a.digits} digits${a.type === 'totp' ? ` ${a.period}s` : ''}`;
  rt.io.out(`added ${a.id}: ${printable([a.issuer, a.label].filter(Boolean).join(' / '))} (${what})\n`);
}

export async function runList(rt: Runtime, o: { tag?: string; json?: boolean }): Promise<void> {
  const accounts = await listAccounts(rt.ctx, o.tag);
  if (o.json) {
    rt.io.out(json(accounts));
    return;
  }
  if (accounts.length === 0) {
    rt.io.err(o.tag === undefined ? 'no accounts yet: totp-mcp add <id> --uri -\n' : 'no accounts with that tag\n');
    return;
  }
  rt.io.out(
    table(
      ['ID', 'ISSUER', 'LABEL', 'TYPE', 'TAGS'],
      accounts.map((a) => [a.id, printable(a.issuer), printable(a.label), a.type, a.tags.join(',')]),
    ),
  );
}

export async function runRemove(rt: Runtime, id: string, o: { yes?: boolean }): Promise<void> {
  if (
    !o.yes &&
    rt.io.interactive &&
    !(await promptConfirm(`Remove ${id} and its secret? (the last 3 vault versions stay in backups/)`))
  ) {
    fail('usage', 'not removed');
  }
  await removeAccount(rt.ctx, id);
  rt.io.out(`removed ${id}\n`);
}

export async function runRename(rt: Runtime, from: string, to: string): Promise<void> {
  await renameAccount(rt.ctx, from, to);
  rt.io.out(`renamed ${from} to ${to}\n`);
}

export async function runTag(rt: Runtime, id: string, changes: string[]): Promise<void> {
  const tags = await retagAccount(rt.ctx, id, changes);
  rt.io.out(`${id}: ${tags.length ? tags.join(' ') : '(no tags)'}\n`);
}
