/**
 * The head record's MAC. Without it, anyone who can write the state folder could cut the log's
 * tail and write a head that matches (the head holds no secret); with it, a head is either one a
 * writer holding the vault's audit key wrote, or it does not verify.
 *
 * hmac = HMAC-SHA256(key, "totp-mcp audit.head v2\n" ‖ canonical({v, seq, mac, size, file, ino, gen}))
 *
 * What a MAC cannot stop: replacing the head (and the log) with an older copy that was once
 * genuine. The vault's anchor (app/trail.ts) catches that up to its last write; an outside
 * witness is needed beyond it.
 */
import { createHmac } from 'node:crypto';
import type { Redacted } from '../core/redacted.js';
import { canonicalJson, sameMac } from './canonical.js';
import type { Head } from './files.js';

const DOMAIN = 'totp-mcp audit.head v2\n';

export type UnsignedHead = Omit<Head, 'v' | 'hmac'>;

function macOf(key: Redacted<Buffer>, h: UnsignedHead): string {
  const body = canonicalJson({ v: 2, seq: h.seq, mac: h.mac, size: h.size, file: h.file, ino: h.ino, gen: h.gen });
  return createHmac('sha256', key.reveal()).update(DOMAIN, 'utf8').update(body, 'utf8').digest('hex');
}

export function signHead(key: Redacted<Buffer>, h: UnsignedHead): Head {
  return { v: 2, seq: h.seq, mac: h.mac, size: h.size, file: h.file, ino: h.ino, gen: h.gen, hmac: macOf(key, h) };
}

/** A v2 head whose MAC is right for the key. (A v1 head never verifies.) */
export function headVerifies(key: Redacted<Buffer>, h: Head): boolean {
  return h.v === 2 && h.hmac !== null && sameMac(macOf(key, h), h.hmac);
}
