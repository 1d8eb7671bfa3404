// The streaming PNG decoder of the QR importer (src/otp/importers/png.ts) against pngjs, the
// decoder it replaced: every colour type and bit depth, plain and Adam7, all five filters, tRNS,
// several IDAT chunks. Both are reduced to luminance over white, which is all jsQR looks at.
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodePngScaled } from '../../src/otp/importers/png.js';

/** A small deterministic PRNG, so a failure names a seed that reproduces it. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

const paeth = (a: number, b: number, c: number): number => {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

function filterLine(type: number, line: Buffer, prev: Buffer, bpp: number): Buffer {
  const out = Buffer.alloc(line.length + 1);
  out[0] = type;
  for (let i = 0; i < line.length; i++) {
    const a = i >= bpp ? line[i - bpp]! : 0;
    const b = prev[i]!;
    const c = i >= bpp ? prev[i - bpp]! : 0;
    const pred = type === 0 ? 0 : type === 1 ? a : type === 2 ? b : type === 3 ? (a + b) >> 1 : paeth(a, b, c);
    out[i + 1] = (line[i]! - pred) & 0xff;
  }
  return out;
}

interface Made {
  png: Buffer;
  width: number;
  height: number;
}

/** A PNG of random samples, written by hand (pngjs cannot write palettes, low depths or Adam7). */
function makePng(
  seed: number,
  width: number,
  height: number,
  colorType: number,
  depth: number,
  interlaced: boolean,
  withTrns: boolean,
): Made {
  const rand = rng(seed);
  const ch = CHANNELS[colorType]!;
  const max = 2 ** depth - 1;
  const paletteSize = colorType === 3 ? Math.min(2 ** depth, 1 + Math.floor(rand() * 2 ** depth)) : 0;
  // Few distinct values, so that a tRNS colour actually occurs.
  const pick = (): number =>
    colorType === 3 ? Math.floor(rand() * paletteSize) : rand() < 0.2 ? 0 : Math.floor(rand() * (max + 1));
  const samples: number[][] = Array.from({ length: width * height }, () => Array.from({ length: ch }, pick));
  const bitsPerPixel = ch * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const raw: Buffer[] = [];
  const passes = interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  for (const [x0, y0, dx, dy] of passes) {
    const count = Math.ceil((width - x0) / dx);
    const rows = Math.ceil((height - y0) / dy);
    if (count <= 0 || rows <= 0) continue;
    let prev = Buffer.alloc(Math.ceil((count * bitsPerPixel) / 8));
    for (let r = 0; r < rows; r++) {
      const line = Buffer.alloc(prev.length);
      for (let i = 0; i < count; i++) {
        const px = samples[(y0 + r * dy) * width + x0 + i * dx]!;
        for (let s = 0; s < ch; s++) {
          const v = px[s]!;
          if (depth === 16) line.writeUInt16BE(v, (i * ch + s) * 2);
          else if (depth === 8) line[i * ch + s] = v;
          else {
            const bit = i * depth;
            line[bit >> 3] = line[bit >> 3]! | (v << (8 - depth - (bit & 7)));
          }
        }
      }
      raw.push(filterLine(Math.floor(rand() * 5), line, prev, bpp));
      prev = line;
    }
  }
  const z = deflateSync(Buffer.concat(raw));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = colorType;
  ihdr[12] = interlaced ? 1 : 0;
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (colorType === 3)
    parts.push(chunk('PLTE', Buffer.from(Array.from({ length: paletteSize * 3 }, () => Math.floor(rand() * 256)))));
  if (withTrns) {
    if (colorType === 3)
      parts.push(chunk('tRNS', Buffer.from(Array.from({ length: paletteSize }, () => Math.floor(rand() * 256)))));
    else if (colorType === 0) parts.push(chunk('tRNS', Buffer.from([0, 0])));
    else if (colorType === 2) parts.push(chunk('tRNS', Buffer.alloc(6)));
  }
  // The data split over several IDAT chunks, as encoders do.
  const cut = Math.floor(z.length / 3);
  for (const part of [z.subarray(0, cut), z.subarray(cut, 2 * cut), z.subarray(2 * cut)])
    parts.push(chunk('IDAT', part));
  parts.push(chunk('IEND', Buffer.alloc(0)));
  return { png: Buffer.concat(parts), width, height };
}

/** pngjs's RGBA, flattened over white and reduced to luminance, as the importer did before. */
function reference(png: Buffer): Float64Array {
  const img = PNG.sync.read(png);
  const out = new Float64Array(img.width * img.height);
  for (let i = 0; i < out.length; i++) {
    const [r, g, b, a] = [img.data[i * 4]!, img.data[i * 4 + 1]!, img.data[i * 4 + 2]!, img.data[i * 4 + 3]!];
    const k = a / 255;
    out[i] = (0.2126 * r + 0.7152 * g + 0.0722 * b) * k + 255 * (1 - k);
  }
  return out;
}

const noCap = (): void => undefined;

const KINDS: [number, number][] = [
  [0, 1],
  [0, 2],
  [0, 4],
  [0, 8],
  [0, 16],
  [2, 8],
  [2, 16],
  [3, 1],
  [3, 2],
  [3, 4],
  [3, 8],
  [4, 8],
  [4, 16],
  [6, 8],
  [6, 16],
];

describe('the streaming PNG decoder', () => {
  it.each(KINDS)(
    'colour type %i, depth %i: same luminance as pngjs, plain and interlaced, with and without tRNS',
    async (colorType, depth) => {
      for (let seed = 1; seed <= 6; seed++) {
        const rand = rng(seed * 97 + colorType * 7 + depth);
        const width = 1 + Math.floor(rand() * 37);
        const height = 1 + Math.floor(rand() * 29);
        const made = makePng(seed, width, height, colorType, depth, seed % 2 === 0, seed % 3 === 0);
        const want = reference(made.png);
        const got = await decodePngScaled(made.png, 4096, noCap);
        expect([got.width, got.height], `seed ${seed}`).toEqual([width, height]);
        for (let i = 0; i < want.length; i++) {
          // The output is whole 8-bit values; the reference is not rounded.
          if (Math.abs(got.data[i * 4]! - want[i]!) > 1) {
            expect.fail(`seed ${seed}, ${width}×${height}, pixel ${i}: ${got.data[i * 4]} vs ${want[i]}`);
          }
        }
      }
    },
  );

  it('downscales by whole blocks, as the importer did after a full decode', async () => {
    const made = makePng(5, 50, 23, 6, 8, true, false);
    const want = reference(made.png);
    const got = await decodePngScaled(made.png, 16, noCap); // factor ceil(50 / 16) = 4
    expect([got.width, got.height]).toEqual([12, 5]);
    for (let oy = 0; oy < 5; oy++) {
      for (let ox = 0; ox < 12; ox++) {
        let sum = 0;
        for (let dy = 0; dy < 4; dy++) for (let dx = 0; dx < 4; dx++) sum += want[(oy * 4 + dy) * 50 + ox * 4 + dx]!;
        expect(Math.abs(got.data[(oy * 12 + ox) * 4]! - sum / 16)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('refuses data cut short, a bad filter type, and a header it does not know, with the fixed message', async () => {
    const made = makePng(3, 20, 20, 2, 8, false, false);
    const idatEnd = made.png.length - 12;
    const cut = Buffer.concat([
      made.png.subarray(0, 33),
      chunk('IDAT', deflateSync(Buffer.alloc(10))),
      made.png.subarray(idatEnd),
    ]);
    await expect(decodePngScaled(cut, 4096, noCap)).rejects.toMatchObject({
      code: 'invalid',
      message: 'the PNG image is damaged or truncated',
    });
    const badFilter = Buffer.concat([
      made.png.subarray(0, 33),
      chunk('IDAT', deflateSync(Buffer.alloc(21 * 61, 9))),
      made.png.subarray(idatEnd),
    ]);
    await expect(decodePngScaled(badFilter, 4096, noCap)).rejects.toMatchObject({
      message: 'the PNG image is damaged or truncated',
    });
    const badDepth = Buffer.from(made.png);
    badDepth[24] = 3; // depth 3 does not exist
    await expect(decodePngScaled(badDepth, 4096, noCap)).rejects.toMatchObject({
      message: 'the PNG image is damaged or truncated',
    });
    const garbage = Buffer.concat([
      made.png.subarray(0, 33),
      chunk('IDAT', Buffer.from('not zlib at all')),
      made.png.subarray(idatEnd),
    ]);
    await expect(decodePngScaled(garbage, 4096, noCap)).rejects.toMatchObject({
      message: 'the PNG image is damaged or truncated',
    });
  });
});
