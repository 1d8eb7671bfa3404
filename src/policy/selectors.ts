import { ID_PATTERN, TAG_PATTERN } from '../core/model.js';
import type { AccountRef } from './types.js';

/**
 * Account selectors: `*`, `tag:NAME`, an exact id, or a glob over the id alphabet where `*` is any
 * run of characters and `?` exactly one. A glob is matched against the WHOLE id. Account ids are
 * lowercase ASCII without `*` or `?` (core/model.ts), so every other glob character is literal:
 * `.`, `+` and `:` mean themselves, never a regex class. Globs are matched by a greedy wildcard
 * algorithm (O(id × glob) at worst, both at most 64 characters) rather than a backtracking RegExp,
 * so no glob can make matching slow.
 */
export type AccountSelector =
  | { readonly kind: 'any'; readonly text: string }
  | { readonly kind: 'tag'; readonly text: string; readonly tag: string }
  | { readonly kind: 'exact'; readonly text: string; readonly id: string }
  | {
      readonly kind: 'glob';
      readonly text: string;
      readonly glob: string;
      readonly prefix: string;
      readonly suffix: string;
    };

const GLOB_PATTERN = /^[a-z0-9._:@+*?-]{1,64}$/;
const AGENT_NAME = ID_PATTERN;

export const ACCOUNT_SELECTOR_RULE = 'expected an account id, a glob with * or ?, tag:NAME or *';
export const AGENT_SELECTOR_RULE = 'expected an agent name or *';

export const isAgentName = (s: string): boolean => AGENT_NAME.test(s);
export const isAccountId = (s: unknown): s is string => typeof s === 'string' && ID_PATTERN.test(s);

export function parseAccountSelector(text: string): AccountSelector | undefined {
  if (text === '*') return { kind: 'any', text };
  if (text.startsWith('tag:')) {
    const tag = text.slice(4);
    return TAG_PATTERN.test(tag) ? { kind: 'tag', text, tag } : undefined;
  }
  if (ID_PATTERN.test(text)) return { kind: 'exact', text, id: text };
  if (!GLOB_PATTERN.test(text)) return undefined;
  const glob = text.replace(/\*{2,}/g, '*');
  const first = glob.search(/[*?]/);
  let last = glob.length - 1;
  while (last >= 0 && glob[last] !== '*' && glob[last] !== '?') last--;
  return { kind: 'glob', text, glob, prefix: glob.slice(0, first), suffix: glob.slice(last + 1) };
}

const STAR = 42; // '*'
const QUESTION = 63; // '?'

/**
 * Greedy wildcard match: `*` backtracks only to the most recent star, which is correct for
 * "any run" stars and single-character predicates. `fits(p, s)` says whether glob character `p`
 * (never `*`) accepts subject character `s`; `subjectStar` is a subject character that only a
 * glob `*` may absorb (used when the subject is itself a glob).
 */
function wildcard(glob: string, subject: string, fits: (p: number, s: number) => boolean): boolean {
  let gi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  const gl = glob.length;
  const sl = subject.length;
  while (si < sl) {
    const g = gi < gl ? glob.charCodeAt(gi) : -1;
    if (g !== -1 && g !== STAR && fits(g, subject.charCodeAt(si))) {
      gi++;
      si++;
    } else if (g === STAR) {
      star = gi++;
      mark = si;
    } else if (star !== -1) {
      gi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (gi < gl && glob.charCodeAt(gi) === STAR) gi++;
  return gi === gl;
}

const fitsId = (p: number, s: number): boolean => p === QUESTION || p === s;
/** Glob vs glob: a `?` covers one character or one `?`; a literal covers only itself; only `*` covers `*`. */
const fitsGlob = (p: number, s: number): boolean => (p === QUESTION ? s !== STAR : p === s);

/** Whether `glob` (already parsed) matches the whole `id`. The caller has checked `id` is a valid id. */
export function globMatches(sel: { glob: string; prefix: string; suffix: string }, id: string): boolean {
  if (!id.startsWith(sel.prefix) || !id.endsWith(sel.suffix)) return false;
  if (id.length < sel.prefix.length + sel.suffix.length) return false;
  return wildcard(sel.glob, id, fitsId);
}

export function selectorMatches(sel: AccountSelector, account: AccountRef): boolean {
  if (!isAccountId(account.id)) return false;
  switch (sel.kind) {
    case 'any':
      return true;
    case 'exact':
      return sel.id === account.id;
    case 'tag':
      return Array.isArray(account.tags) && account.tags.includes(sel.tag);
    case 'glob':
      return globMatches(sel, account.id);
  }
}

/**
 * Conservative inclusion: true only when every account `b` can match is also matched by `a`.
 * (False negatives are fine: they only mean a lint warning is not given.)
 */
export function selectorCovers(a: AccountSelector, b: AccountSelector): boolean {
  if (a.kind === 'any') return true;
  switch (b.kind) {
    case 'any':
      return false;
    case 'tag':
      return a.kind === 'tag' && a.tag === b.tag;
    case 'exact':
      if (a.kind === 'exact') return a.id === b.id;
      return a.kind === 'glob' && globMatches(a, b.id);
    case 'glob':
      return a.kind === 'glob' && wildcard(a.glob, b.glob, fitsGlob);
  }
}
