// QR images: encoded with the qrcode library, decoded back by the importer; then images as people
// really have them (a phone screenshot: the code scaled on a busy background, in dark mode, as PNG
// and JPEG, with transparency), and images that must fail clearly (no code, two codes, too big).
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { isTotpMcpError } from '../../src/core/errors.js';
import { decodeQrImage } from '../../src/otp/importers/qr.js';
import { newHome } from '../helpers/cli.js';
import { ACCOUNTS, GOOGLE_ACCOUNTS, googleExport, otpauthUri, prngBytes } from './fixtures.js';
import { expectAccounts, importCli, snapshot, writeTemp } from './helpers.js';

interface Img {
  width: number;
  height: number;
  data: Buffer;
}

function qrBitmap(text: string): { size: number; dark: (x: number, y: number) => boolean } {
  const q = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = q.modules.size;
  return { size, dark: (x, y) => x >= 0 && y >= 0 && x < size && y < size && q.modules.get(y, x) === 1 };
}

/** A 'screenshot': noise, gradients and coloured boxes, with the code drawn at `module` px per module (fractional: resampled). */
function screenshot(
  text: string,
  o: { width: number; height: number; module: number; at: [number, number]; invert?: boolean; seed?: number },
): Img {
  const { width, height } = o;
  const data = Buffer.alloc(width * height * 4);
  const noise = prngBytes(width * height, o.seed ?? 7);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const n = noise[y * width + x]! & 0x3f;
      const box = ((x >> 6) + (y >> 5)) % 3;
      data[i] = box === 0 ? 200 + (n >> 2) : (x * 255) / width;
      data[i + 1] = box === 1 ? 40 + n : (y * 255) / height;
      data[i + 2] = box === 2 ? 120 + n : 90;
      data[i + 3] = 255;
    }
  }
  const q = qrBitmap(text);
  const quiet = 4;
  const side = Math.round((q.size + 2 * quiet) * o.module);
  const [ox, oy] = o.at;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const mx = Math.floor(x / o.module) - quiet;
      const my = Math.floor(y / o.module) - quiet;
      let dark = q.dark(mx, my);
      if (o.invert) dark = !dark;
      const i = ((oy + y) * width + (ox + x)) * 4;
      const v = dark ? 18 : 236; // not pure black and white, as on a real screen
      data[i] = v;
      data[i + 1] = v;
      data[i + 2] = o.invert ? v + 6 : v;
    }
  }
  return { width, height, data };
}

function png(img: Img, alpha = false): Buffer {
  const p = new PNG({ width: img.width, height: img.height, colorType: alpha ? 6 : 2 });
  img.data.copy(p.data);
  return PNG.sync.write(p, { colorType: alpha ? 6 : 2 });
}

const jpg = (img: Img, quality = 85): Buffer =>
  jpeg.encode({ width: img.width, height: img.height, data: img.data }, quality).data;

const URI = otpauthUri(ACCOUNTS[0]!);

async function decoded(bytes: Uint8Array): Promise<string> {
  return (await decodeQrImage(bytes)).reveal();
}

async function failure(bytes: Uint8Array): Promise<string> {
  try {
    await decodeQrImage(bytes);
  } catch (e) {
    if (isTotpMcpError(e)) return `${e.message}${e.hint ? ` / ${e.hint}` : ''}`;
    throw e;
  }
  throw new Error('decoded, but should not have');
}

describe('QR images', () => {
  it('round-trips: qrcode PNG → the importer reads the same text, at every scale and error-correction level', async () => {
    for (const scale of [1, 2, 4, 9]) {
      for (const errorCorrectionLevel of ['L', 'M', 'Q', 'H'] as const) {
        const b = await QRCode.toBuffer(URI, { type: 'png', scale, errorCorrectionLevel });
        expect(await decoded(b), `scale ${scale} ${errorCorrectionLevel}`).toBe(URI);
      }
    }
  });

  it('reads a phone screenshot: the code scaled by a fraction on a busy background (PNG and JPEG)', async () => {
    const img = screenshot(URI, { width: 1080, height: 1920, module: 6.37, at: [190, 700] });
    expect(await decoded(png(img))).toBe(URI);
    expect(await decoded(jpg(img))).toBe(URI);
  });

  it('reads a dark-mode (inverted) screenshot, PNG and JPEG', async () => {
    const img = screenshot(URI, { width: 1170, height: 2532, module: 7.5, at: [240, 900], invert: true, seed: 3 });
    expect(await decoded(png(img))).toBe(URI);
    expect(await decoded(jpg(img, 80))).toBe(URI);
  });

  it('reads a Google export code from a large desktop screenshot (downscaled before scanning)', async () => {
    const uri = googleExport(GOOGLE_ACCOUNTS)[0]!;
    const img = screenshot(uri, { width: 5120, height: 2880, module: 14, at: [1400, 400], seed: 11 });
    expect(await decoded(png(img))).toBe(uri);
    // As a JPEG, the same 14.7 megapixels would take jpeg-js over 500 MB: refused from its header.
    expect(await failure(jpg(img, 90))).toBe(
      'the JPEG image is too large to decode (5120×2880): crop it to the QR code, or save it as PNG',
    );
  });

  it('reads a code whose light modules are transparent', async () => {
    const q = qrBitmap(URI);
    const m = 5;
    const side = (q.size + 8) * m;
    const data = Buffer.alloc(side * side * 4); // all transparent black
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        if (q.dark(Math.floor(x / m) - 4, Math.floor(y / m) - 4)) data.writeUInt32BE(0x000000ff, (y * side + x) * 4);
      }
    }
    expect(await decoded(png({ width: side, height: side, data }, true))).toBe(URI);
  });

  it('says so when an image holds no QR code, and when it holds two', async () => {
    const noise = screenshot('x', { width: 800, height: 600, module: 0.01, at: [0, 0], seed: 5 });
    expect(await failure(png(noise))).toMatch(
      /^no QR code found in the image \/ the image must show one whole, sharp QR code/,
    );
    const a = await QRCode.toBuffer(URI, { type: 'png', scale: 5 });
    const b = await QRCode.toBuffer(otpauthUri(ACCOUNTS[1]!), { type: 'png', scale: 5 });
    const pa = PNG.sync.read(a);
    const pb = PNG.sync.read(b);
    const two = new PNG({ width: pa.width + pb.width, height: Math.max(pa.height, pb.height) });
    two.data.fill(255);
    PNG.bitblt(pa, two, 0, 0, pa.width, pa.height, 0, 0);
    PNG.bitblt(pb, two, 0, 0, pb.width, pb.height, pa.width, 0);
    expect(await failure(PNG.sync.write(two))).toMatch(/no QR code found/);
  });

  it('refuses an image larger than 40 megapixels from its header, before decoding pixels', async () => {
    const small = PNG.sync.read(await QRCode.toBuffer(URI, { type: 'png' }));
    const bytes = PNG.sync.write(small);
    // Rewrite IHDR to claim 100,000 × 100,000 (the CRC is not what stops it).
    bytes.writeUInt32BE(100_000, 16);
    bytes.writeUInt32BE(100_000, 20);
    expect(await failure(bytes)).toMatch(/larger than 40 megapixels/);
    const bigJpeg = Buffer.from(jpg({ width: 16, height: 16, data: Buffer.alloc(16 * 16 * 4, 255) }));
    // SOF0 height/width fields: claim 60000 × 60000.
    const sof = bigJpeg.indexOf(Buffer.from([0xff, 0xc0]));
    bigJpeg.writeUInt16BE(60_000, sof + 5);
    bigJpeg.writeUInt16BE(60_000, sof + 7);
    expect(await failure(bigJpeg)).toMatch(/larger than 40 megapixels|damaged/);
  });

  it('refuses truncated and corrupt images with a clear message', async () => {
    const b = await QRCode.toBuffer(URI, { type: 'png', scale: 4 });
    expect(await failure(b.subarray(0, b.length / 2))).toMatch(/PNG image is damaged or truncated/);
    const j = jpg(screenshot(URI, { width: 400, height: 400, module: 4, at: [20, 20] }));
    expect(await failure(j.subarray(0, 200))).toMatch(/JPEG image is damaged|no QR code/);
  });

  it('through the CLI: a screenshot imports, an image without a code fails and writes nothing', async () => {
    const home = newHome();
    const img = screenshot(URI, { width: 1080, height: 1920, module: 6.37, at: [190, 700], invert: true });
    const r = importCli(home, writeTemp('Screenshot_20260101.jpg', jpg(img)));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/detected: QR image: otpauth:\/\/ URI list/);
    await expectAccounts(home, [ACCOUNTS[0]!]);
    const before = snapshot(home);
    const none = importCli(
      home,
      writeTemp('cat.png', png(screenshot('x', { width: 300, height: 300, module: 0.01, at: [0, 0] }))),
    );
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no QR code found in the image/);
    expect(snapshot(home)).toBe(before);
  });
});
