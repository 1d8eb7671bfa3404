// Import memory stays bounded within the documented limits (issue 12, item 15): files well under
// 64 MiB that used to take gigabytes (a 60 MB label, a 16-bit 40-megapixel PNG of 314 KB, a JSON
// of a million tiny values, a JPEG announcing a huge frame) run through the real CLI in a child
// process whose peak RSS (getrusage maxrss, reported at exit by a preloaded module) stays at or
// under 300 MiB, and end in a clear error, or in a correct import for a valid large image.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createDeflate, crc32 } from 'node:zlib';
import jpeg from 'jpeg-js';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/build.js';
import { cliEnv, newHome, tempDir } from '../helpers/cli.js';
import { ACCOUNTS, aegisEncrypted, aegisPlain, otpauthUri } from './fixtures.js';
import { CANARY_ACCOUNT, expectAccounts, expectNoCanary, snapshot, writeTemp } from './helpers.js';

const LIMIT_MIB = 300;

interface Measured {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Peak resident set of the CLI process, MiB. */
  peakMiB: number;
}

/** `totp-mcp import FILE ARGS` in a child process that writes its own peak RSS when it exits. */
function importMeasured(home: string, file: string, args: string[] = []): Promise<Measured> {
  const dir = tempDir('totp-mcp-rss-');
  const preload = join(dir, 'rss.mjs');
  const out = join(dir, 'maxrss');
  writeFileSync(
    preload,
    `import { readFileSync, writeFileSync } from 'node:fs';\nprocess.on('exit', () => { writeFileSync(${JSON.stringify(out)}, String(process.resourceUsage().maxRSS)); });\n`,
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', preload, CLI, 'import', file, ...args], {
      env: cliEnv(home),
      cwd: dirname(home),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdin.end();
    // A run that takes this long has gone wrong (the unbounded decoders took minutes): kill it, and fail.
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      let kib = Number.NaN;
      try {
        kib = Number(readFileSync(out, 'utf8'));
      } catch {
        // no report: the process died before exit handlers ran
      }
      if (process.env['SHOW_RSS']) console.log(`RSS ${file}: ${Math.round(kib / 1024)} MiB`);
      resolve({ code, stdout, stderr, peakMiB: Math.round(kib / 1024) });
    });
  });
}

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td) >>> 0);
  return Buffer.concat([len, td, crc]);
}

/**
 * A 16-bit RGBA PNG, written row by row through a streaming deflate (the test never holds the
 * raw pixels): white, with a QR code of `text` at `module` pixels per module when given.
 */
async function png16(width: number, height: number, text?: string, module = 64): Promise<Buffer> {
  const q = text === undefined ? null : QRCode.create(text, { errorCorrectionLevel: 'M' }).modules;
  const origin = 600;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 16;
  ihdr[9] = 6;
  const deflate = createDeflate({ level: 9 });
  const parts: Buffer[] = [];
  deflate.on('data', (c: Buffer) => parts.push(c));
  const ended = new Promise((r) => deflate.on('end', r));
  const white = Buffer.alloc(1 + width * 8, 0xff);
  white[0] = 0;
  for (let y = 0; y < height; y++) {
    let row = white;
    const my = Math.floor((y - origin) / module);
    if (q !== null && my >= 0 && my < q.size) {
      row = Buffer.from(white);
      for (let mx = 0; mx < q.size; mx++) {
        if (q.get(my, mx) !== 1) continue;
        const x0 = origin + mx * module;
        for (let x = x0; x < x0 + module; x++) row.fill(0, 1 + x * 8, 1 + x * 8 + 6); // black, alpha stays 0xffff
      }
    }
    if (!deflate.write(row)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await ended;
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    signature,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.concat(parts)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A small real JPEG whose frame header then claims `width`×`height` (the data stays 64×64). */
function jpegClaiming(width: number, height: number): Buffer {
  const b = Buffer.from(jpeg.encode({ width: 64, height: 64, data: Buffer.alloc(64 * 64 * 4, 200) }, 80).data);
  const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
  b.writeUInt16BE(height, sof + 5);
  b.writeUInt16BE(width, sof + 7);
  return b;
}

/**
 * A ZIP64 file that is nothing but a central directory of `count` empty entries (47 bytes each):
 * the listing a reader builds from it is what costs.
 */
function zipOfEntries(count: number): Buffer {
  const local = Buffer.alloc(31);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(1, 26);
  local[30] = 0x61;
  const cd = Buffer.alloc(count * 47);
  for (let i = 0; i < count; i++) {
    const o = i * 47;
    cd.writeUInt32LE(0x02014b50, o);
    cd.writeUInt16LE(20, o + 4);
    cd.writeUInt16LE(20, o + 6);
    cd.writeUInt16LE(1, o + 28);
    cd[o + 46] = 0x61;
  }
  const eocd64 = Buffer.alloc(56);
  eocd64.writeUInt32LE(0x06064b50, 0);
  eocd64.writeBigUInt64LE(44n, 4);
  eocd64.writeUInt16LE(45, 12);
  eocd64.writeUInt16LE(45, 14);
  eocd64.writeBigUInt64LE(BigInt(count), 24);
  eocd64.writeBigUInt64LE(BigInt(count), 32);
  eocd64.writeBigUInt64LE(BigInt(cd.length), 40);
  eocd64.writeBigUInt64LE(BigInt(local.length), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(local.length + cd.length), 8);
  locator.writeUInt32LE(1, 16);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(0xffff, 8);
  eocd.writeUInt16LE(0xffff, 10);
  eocd.writeUInt32LE(0xffffffff, 12);
  eocd.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([local, cd, eocd64, locator, eocd]);
}

describe(`import memory: peak RSS at most ${LIMIT_MIB} MiB for hostile files under 64 MiB`, () => {
  it('an Aegis file with a 60 MB label: that entry is refused for its length, the others import', async () => {
    const home = newHome();
    const text = aegisPlain([CANARY_ACCOUNT, { ...ACCOUNTS[0]!, label: 'x'.repeat(60 * 1024 * 1024) }, ACCOUNTS[1]!]);
    const r = await importMeasured(home, writeTemp('aegis.json', text));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/label is longer than 256 characters/);
    expect(r.stdout).toMatch(/imported 2, skipped 1/);
    expectNoCanary('stdout', r.stdout);
    expect(r.peakMiB, `peak RSS ${r.peakMiB} MiB`).toBeLessThanOrEqual(LIMIT_MIB);
    await expectAccounts(home, [CANARY_ACCOUNT, ACCOUNTS[1]!]);
  });

  it('an encrypted Aegis file of 47 MB of content is refused before the password is asked or anything decrypted', async () => {
    const home = newHome();
    const text = aegisEncrypted([CANARY_ACCOUNT, { ...ACCOUNTS[0]!, label: 'x'.repeat(47_000_000) }], 'pw', {
      n: 1024,
      r: 8,
      p: 1,
    });
    // No --password-stdin and no terminal: asking for the password would fail with another message.
    const r = await importMeasured(home, writeTemp('aegis-encrypted.json', text));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^totp-mcp: the Aegis export holds more than 32 MiB of encrypted data: not an export totp-mcp reads$/m,
    );
    expect(r.peakMiB, `peak RSS ${r.peakMiB} MiB`).toBeLessThanOrEqual(LIMIT_MIB);
  });

  it('a JSON file of a million empty objects is refused before it is parsed', async () => {
    const home = newHome();
    const before = snapshot(home);
    const r = await importMeasured(home, writeTemp('objects.json', `[${'{},'.repeat(20_000_000)}{}]`));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^totp-mcp: \S+objects\.json holds more than 1000000 JSON values: not a real export\n$/);
    expect(r.peakMiB, `peak RSS ${r.peakMiB} MiB`).toBeLessThanOrEqual(LIMIT_MIB);
    expect(snapshot(home)).toBe(before);
  });

  it('a 314 KB 16-bit PNG of 39.7 megapixels without a code: "no QR code found"', async () => {
    const home = newHome();
    const image = await png16(6300, 6300);
    expect(image.length).toBeLessThan(400 * 1024);
    const r = await importMeasured(home, writeTemp('big.png', image));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^totp-mcp: no QR code found in the image\n/);
    expect(r.peakMiB, `peak RSS ${r.peakMiB} MiB`).toBeLessThanOrEqual(LIMIT_MIB);
  });

  it('a 16-bit PNG of 39.7 megapixels holding a QR code imports its account', async () => {
    const home = newHome();
    const r = await importMeasured(home, writeTemp('big-qr.png', await png16(6300, 6300, otpauthUri(ACCOUNTS[0]!))));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/imported 1, skipped 0/);
    expect(r.peakMiB, `peak RSS ${r.peakMiB} MiB`).toBeLessThanOrEqual(LIMIT_MIB);
    await expectAccounts(home, [ACCOUNTS[0]!]);
  });

  it('a 61 MB ZIP whose central directory lists 1.3 million entries is refused after the 65th', async () => {
    const home = newHome();
    const r = await importMeasured(home, writeTemp('many.zip', zipOfEntries(1_300_000)));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^totp-mcp: the ZIP file holds more than 64 entries: not a Raivo export$/m);
    expect(r.peakMiB, `peak RSS ${r.peakMiB} MiB`).toBeLessThanOrEqual(LIMIT_MIB);
  });

  it('a 4 KB JPEG whose frame header claims 6300×6300 is refused from the header', async () => {
    const home = newHome();
    const r = await importMeasured(home, writeTemp('claims.jpg', jpegClaiming(6300, 6300)));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^totp-mcp: the JPEG image is too large to decode \(6300×6300\): crop it to the QR code, or save it as PNG\n/,
    );
    expect(r.peakMiB, `peak RSS ${r.peakMiB} MiB`).toBeLessThanOrEqual(LIMIT_MIB);
  });
});
