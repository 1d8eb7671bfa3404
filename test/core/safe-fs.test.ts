// Issue 12 item 9, below the CLI: each state file that totp-mcp opens refuses a link placed
// there (lock files, the audit head and its temp file, the AWS step ledger, state/aws), and the
// victim a link points at is left exactly as it was.
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
  readdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHead, writeHead } from '../../src/audit/files.js';
import { readLedger } from '../../src/aws/ledger.js';
import { acquireLock } from '../../src/core/lock.js';
import { ensureRealDir } from '../../src/core/fs.js';

const LINK = /is a symbolic link: totp-mcp does not follow links inside its home/;
const tmp = () => mkdtempSync(join(tmpdir(), 'totp-safe-fs-'));

function victim(content = 'precious\n'): string {
  const f = join(tmp(), 'victim.txt');
  writeFileSync(f, content, { mode: 0o644 });
  return f;
}

describe('links refused in state/ (issue 12 item 9)', () => {
  it('a lock file that is a link is refused by name, never judged stale or removed, and its target is untouched', async () => {
    const dir = tmp();
    const v = victim('{"pid":1,"host":"x","nonce":"n","ts":0}');
    symlinkSync(v, join(dir, 'limits.lock'));
    await expect(acquireLock(join(dir, 'limits.lock'), { timeoutMs: 200 })).rejects.toThrow(LINK);
    expect(readFileSync(v, 'utf8')).toBe('{"pid":1,"host":"x","nonce":"n","ts":0}');
    expect(statSync(join(dir, 'limits.lock')).isFile()).toBe(true); // still the link, to the same file
  });

  it('writeHead never writes through a linked audit.head.tmp (its temp file is a fresh O_EXCL name), and readHead of a linked audit.head is refused', async () => {
    const dir = tmp();
    const v = victim();
    symlinkSync(v, join(dir, 'audit.head.tmp'));
    const head = {
      v: 2,
      seq: 1,
      mac: 'a'.repeat(64),
      size: 10,
      file: 'audit.log',
      ino: '1',
      gen: 0,
      hmac: 'b'.repeat(64),
    } as const;
    await writeHead(dir, head);
    expect(readFileSync(v, 'utf8')).toBe('precious\n');
    expect(await readHead(dir)).toEqual(head);
    const dir2 = tmp();
    symlinkSync(v, join(dir2, 'audit.head'));
    await expect(readHead(dir2)).rejects.toThrow(LINK);
  });

  it('the AWS step ledger as a link is refused', async () => {
    const dir = tmp();
    const v = victim('{"v":1,"serial":"arn:x","step":99999999999,"at":"x"}');
    symlinkSync(v, join(dir, 'x.ledger.json'));
    await expect(readLedger(join(dir, 'x.ledger.json'), 'arn:x')).rejects.toThrow(LINK);
  });

  it('ensureRealDir refuses a linked state/ or state/aws and never chmods the target; it makes and tightens real folders', async () => {
    const home = tmp();
    const target = join(tmp(), 'precious');
    mkdirSync(target, { mode: 0o755 });
    chmodSync(target, 0o755);
    symlinkSync(target, join(home, 'state'));
    await expect(ensureRealDir(join(home, 'state', 'aws'), { levels: 2 })).rejects.toThrow(LINK);
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(readdirSync(target)).toEqual([]);

    const home2 = tmp();
    mkdirSync(join(home2, 'state'), { mode: 0o755 });
    chmodSync(join(home2, 'state'), 0o755);
    symlinkSync(target, join(home2, 'state', 'aws'));
    await expect(ensureRealDir(join(home2, 'state', 'aws'), { levels: 2 })).rejects.toThrow(LINK);
    expect(readdirSync(target)).toEqual([]);

    const home3 = tmp();
    await ensureRealDir(join(home3, 'state', 'aws'), { levels: 2 });
    mkdirSync(join(home3, 'loose'), { mode: 0o755 });
    chmodSync(join(home3, 'loose'), 0o755);
    await ensureRealDir(join(home3, 'loose'));
    expect(statSync(join(home3, 'state', 'aws')).mode & 0o777).toBe(0o700);
    expect(statSync(join(home3, 'loose')).mode & 0o777).toBe(0o700);
  });
});
