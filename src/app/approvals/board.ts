/**
 * The terminal channel's notice board (issue 14): every server on this home publishes its open
 * questions under `state/approvals/`, and `totp-mcp approvals approve|deny ID` answers one there.
 *
 * Why an answer cannot be forged by someone who is not the owner:
 * - `state/` and `state/approvals/` are owner-only folders (0700, never a link), the files 0600:
 *   another local user can neither read a question nor write an answer.
 * - Every question and every answer carries an HMAC under a key derived from the vault's audit
 *   key, so it takes the vault (its identity or passphrase) to write one. A process running as
 *   the owner but unable to unlock the vault (an agent with a shell, say) can write a file, and the
 *   server throws it away; it cannot turn a "deny" into an "allow" either.
 * - An answer names the question's random id and its approval key (agent × account × action ×
 *   rule × pin): it stands for that one question, once, and the server deletes it on reading.
 * - What this does not stop: a process that can unlock the vault can approve, as it could read the
 *   seeds anyway. The files hold no secret (names, ids, times), only the MACs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { constants } from 'node:fs';
import { link, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureRealDir, openNoFollow, readFileNoFollow } from '../../core/fs.js';

const BOARD_DIR = 'approvals';
/** Question ids: 32 lowercase hex digits (128 random bits). */
export const QUESTION_ID = /^[0-9a-f]{32}$/;

/** One open question, as `totp-mcp approvals --json` shows it. */
export interface BoardQuestion {
  readonly id: string;
  readonly agent: string;
  /** The client's self-reported name, or null. */
  readonly client: string | null;
  readonly account: string;
  readonly action: string;
  readonly role: string | null;
  readonly duration_seconds: number | null;
  readonly delivery: string | null;
  readonly asked_at: string;
  readonly expires_at: string;
  /** The rule's approval_ttl (how long `--for` may remember it); null: asked every time. */
  readonly ttl_seconds: number | null;
}

interface Stored<T> {
  readonly v: 1;
  readonly body: T;
  readonly mac: string;
}

/** A question's file also names its server and the subject's key, which an answer must repeat. */
export interface BoardEntry {
  readonly q: BoardQuestion;
  readonly key: string;
  readonly pid: number;
}

export interface BoardAnswer {
  readonly id: string;
  readonly key: string;
  readonly answer: 'confirmed' | 'declined';
  /** 0: allow once. */
  readonly remember_seconds: number;
}

const macOf = (key: Buffer, kind: string, body: unknown): string =>
  createHmac('sha256', key).update(kind).update('\0').update(JSON.stringify(body)).digest('hex');

/** The body of an authentic file (its MAC checks out under `key`), else undefined. */
function verify(key: Buffer, kind: string, text: string): Record<string, unknown> | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const s = raw as Partial<Stored<unknown>>;
  if (s.v !== 1 || typeof s.mac !== 'string' || !/^[0-9a-f]{64}$/.test(s.mac)) return undefined;
  if (typeof s.body !== 'object' || s.body === null) return undefined;
  const want = Buffer.from(macOf(key, kind, s.body), 'hex');
  return timingSafeEqual(want, Buffer.from(s.mac, 'hex')) ? (s.body as Record<string, unknown>) : undefined;
}

/** Writes a file atomically (temp + rename), 0600, never through a link. */
async function writePrivate(path: string, text: string, exclusive: boolean): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  const fh = await openNoFollow(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
  if (!exclusive) {
    await rename(tmp, path);
    return;
  }
  // An answer is written once: link() fails (EEXIST) when one is there already.
  try {
    await link(tmp, path);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

const questionFile = (dir: string, id: string): string => join(dir, `q-${id}.json`);
const answerFile = (dir: string, id: string): string => join(dir, `a-${id}.json`);

export class Board {
  readonly dir: string;

  constructor(
    stateDir: string,
    readonly key: Buffer,
  ) {
    this.dir = join(stateDir, BOARD_DIR);
  }

  async #ready(): Promise<void> {
    await ensureRealDir(this.dir, { levels: 2 });
  }

  async publish(e: BoardEntry): Promise<void> {
    await this.#ready();
    const stored: Stored<BoardEntry> = { v: 1, body: e, mac: macOf(this.key, 'question', e) };
    await writePrivate(questionFile(this.dir, e.q.id), JSON.stringify(stored), false);
  }

  /** Removes a question and any answer to it (both best effort). */
  async withdraw(id: string): Promise<void> {
    await unlink(questionFile(this.dir, id)).catch(() => undefined);
    await unlink(answerFile(this.dir, id)).catch(() => undefined);
  }

  /** The authentic open questions of every server on this home; stale files (dead server, expired) are removed. */
  async list(now: number): Promise<BoardEntry[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: BoardEntry[] = [];
    for (const n of names.sort()) {
      const m = /^q-([0-9a-f]{32})\.json$/.exec(n);
      if (!m) continue;
      const path = join(this.dir, n);
      const e = await readFileNoFollow(path)
        .then((b) => verify(this.key, 'question', b.toString('utf8')) as BoardEntry | undefined)
        .catch(() => undefined);
      if (e === undefined || e.q.id !== m[1]) continue; // not ours to judge: left alone
      if (Date.parse(e.q.expires_at) <= now || !alive(e.pid)) {
        await this.withdraw(e.q.id);
        continue;
      }
      out.push(e);
    }
    return out;
  }

  /** The owner's answer; refuses a second one for the same question. */
  async answer(a: BoardAnswer): Promise<void> {
    await this.#ready();
    const stored: Stored<BoardAnswer> = { v: 1, body: a, mac: macOf(this.key, 'answer', a) };
    await writePrivate(answerFile(this.dir, a.id), JSON.stringify(stored), true);
  }

  /** A server's look for the answer to its question: only an authentic one for this id and key counts. */
  async take(id: string, key: string): Promise<BoardAnswer | undefined> {
    let text: string;
    try {
      text = (await readFileNoFollow(answerFile(this.dir, id))).toString('utf8');
    } catch {
      return undefined;
    }
    const a = verify(this.key, 'answer', text);
    // Whatever it was, it is read once: a forged one is dropped rather than looked at again.
    await unlink(answerFile(this.dir, id)).catch(() => undefined);
    if (a?.['id'] !== id || a['key'] !== key) return undefined;
    const answer = a['answer'];
    const remember = a['remember_seconds'];
    if (answer !== 'confirmed' && answer !== 'declined') return undefined;
    if (typeof remember !== 'number' || !Number.isSafeInteger(remember) || remember < 0) return undefined;
    return { id, key, answer, remember_seconds: remember };
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === 'EPERM';
  }
}

/** The board's MAC key: derived from the vault's audit key, never the audit key itself. */
export const boardKey = (auditKey: Buffer): Buffer =>
  createHmac('sha256', auditKey).update('totp-mcp approvals board v1').digest();
