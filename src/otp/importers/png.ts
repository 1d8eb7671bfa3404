/**
 * A PNG decoder made for QR scanning of hostile files: it streams. The compressed data is inflated
 * chunk by chunk, each scanline is unfiltered, reduced to 8-bit luminance over white (what jsQR
 * computes from RGBA anyway) and added into a box-downscaled image no larger than `maxSide`. Memory
 * is a few scanlines plus the small image, whatever the bit depth, size or interlacing: a 16-bit
 * 40-megapixel image costs what a screenshot costs, and data that inflates past what the header
 * announces stops the inflater at that size.
 */
import { createInflate } from 'node:zlib';
import { TotpMcpError, fail } from '../../core/errors.js';

export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

const BAD_PNG = 'the PNG image is damaged or truncated';

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
  /** Samples per pixel. */
  channels: number;
  palette: Buffer | null;
  /** tRNS: alpha per palette index, or the one transparent gray / RGB value (raw samples). */
  trns: Buffer | null;
  idat: Buffer[];
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** Adam7: x0, y0, dx, dy of each pass. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** The chunks that matter; `checkSize` refuses dimensions before anything is inflated. */
function readPngHeader(buf: Buffer, checkSize: (width: number, height: number) => void): Header {
  let pos = 8;
  let h: Header | null = null;
  let palette: Buffer | null = null;
  let trns: Buffer | null = null;
  const idat: Buffer[] = [];
  while (pos + 8 <= buf.length) {
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const start = pos + 8;
    if (length > buf.length - start) fail('invalid', BAD_PNG);
    const data = buf.subarray(start, start + length);
    if (type === 'IHDR') {
      if (length < 13 || h !== null) fail('invalid', BAD_PNG);
      const width = data.readUInt32BE(0);
      const height = data.readUInt32BE(4);
      const depth = data[8] ?? 0;
      const colorType = data[9] ?? 0;
      if (width === 0 || height === 0) fail('invalid', BAD_PNG);
      checkSize(width, height);
      const channels = CHANNELS[colorType];
      if (
        channels === undefined ||
        !(DEPTHS[colorType] ?? []).includes(depth) ||
        data[10] !== 0 ||
        data[11] !== 0 ||
        (data[12] ?? 2) > 1
      ) {
        fail('invalid', BAD_PNG);
      }
      h = { width, height, depth, colorType, interlaced: data[12] === 1, channels, palette: null, trns: null, idat };
    } else if (type === 'PLTE') {
      palette = data;
    } else if (type === 'tRNS') {
      trns = data;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    pos = start + length + 4; // data + CRC
  }
  if (h === null || idat.length === 0) return fail('invalid', BAD_PNG);
  if (h.colorType === 3 && (palette === null || palette.length < 3)) fail('invalid', BAD_PNG);
  h.palette = palette;
  h.trns = trns;
  return h;
}

const paeth = (a: number, b: number, c: number): number => {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
};

/** Undoes a scanline's filter in place (`prev` is the unfiltered line above, zeros for the first). */
function unfilter(type: number, line: Buffer, prev: Buffer, bpp: number): void {
  const n = line.length;
  switch (type) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) line[i] = ((line[i] as number) + (line[i - bpp] as number)) & 0xff;
      return;
    case 2:
      for (let i = 0; i < n; i++) line[i] = ((line[i] as number) + (prev[i] as number)) & 0xff;
      return;
    case 3:
      for (let i = 0; i < n; i++)
        line[i] =
          ((line[i] as number) + (((i >= bpp ? (line[i - bpp] as number) : 0) + (prev[i] as number)) >> 1)) & 0xff;
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? (line[i - bpp] as number) : 0;
        const c = i >= bpp ? (prev[i - bpp] as number) : 0;
        line[i] = ((line[i] as number) + paeth(a, prev[i] as number, c)) & 0xff;
      }
      return;
    default:
      fail('invalid', BAD_PNG);
  }
}

/**
 * Decodes to luminance over white, box-downscaled by an integer factor so that no side exceeds
 * `maxSide` (each output pixel averages an f×f block; the remainder rows and columns are dropped,
 * as `downscale` does). Output is RGBA with R = G = B, for jsQR.
 */
export async function decodePngScaled(
  buf: Buffer,
  maxSide: number,
  checkSize: (width: number, height: number) => void,
): Promise<Rgba> {
  const h = readPngHeader(buf, checkSize);
  const { width, height, depth, channels, colorType } = h;
  const f = Math.max(1, Math.ceil(Math.max(width, height) / maxSide));
  const outW = Math.max(1, Math.floor(width / f));
  const outH = Math.max(1, Math.floor(height / f));
  const area = Math.min(f, width) * Math.min(f, height);
  const sums = new Float64Array(outW * outH);

  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const maxSample = (1 << Math.min(depth, 8)) - 1;
  const palette = h.palette;
  const trns = h.trns;
  // The transparent raw value of a gray or RGB image, when tRNS names one.
  const trGray = colorType === 0 && trns !== null && trns.length >= 2 ? trns.readUInt16BE(0) : -1;
  const trRgb =
    colorType === 2 && trns !== null && trns.length >= 6
      ? [trns.readUInt16BE(0), trns.readUInt16BE(2), trns.readUInt16BE(4)]
      : null;

  /** The raw sample `s` of pixel `x` on an unfiltered line (full depth). */
  const sample = (line: Buffer, x: number, s: number): number => {
    if (depth === 8) return line[x * channels + s] as number;
    if (depth === 16) return line.readUInt16BE((x * channels + s) * 2);
    const bit = x * depth; // sub-byte depths have one channel
    return ((line[bit >> 3] as number) >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  const to8 = (v: number): number =>
    depth === 16 ? Math.round((v * 255) / 65535) : depth === 8 ? v : (v * 255) / maxSample;

  /** Adds the luminance of each pixel of one unfiltered line into its output cell. */
  const addLine = (line: Buffer, count: number, y: number, x0: number, dx: number): void => {
    const oy = Math.floor(y / f);
    if (oy >= outH) return;
    const rowBase = oy * outW;
    for (let i = 0; i < count; i++) {
      const x = x0 + i * dx;
      const ox = Math.floor(x / f);
      if (ox >= outW) break;
      let r: number;
      let g: number;
      let b: number;
      let a = 255;
      if (colorType === 3) {
        const idx = sample(line, i, 0);
        if (palette === null || idx * 3 + 2 >= palette.length) fail('invalid', BAD_PNG);
        r = palette[idx * 3] as number;
        g = palette[idx * 3 + 1] as number;
        b = palette[idx * 3 + 2] as number;
        if (trns !== null && idx < trns.length) a = trns[idx] as number;
      } else if (colorType === 0 || colorType === 4) {
        const raw = sample(line, i, 0);
        r = g = b = to8(raw);
        if (colorType === 4) a = to8(sample(line, i, 1));
        else if (raw === trGray) a = 0;
      } else {
        const rr = sample(line, i, 0);
        const rg = sample(line, i, 1);
        const rb = sample(line, i, 2);
        r = to8(rr);
        g = to8(rg);
        b = to8(rb);
        if (colorType === 6) a = to8(sample(line, i, 3));
        else if (trRgb !== null && rr === trRgb[0] && rg === trRgb[1] && rb === trRgb[2]) a = 0;
      }
      const y8 = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      const k = a / 255;
      sums[rowBase + ox] = (sums[rowBase + ox] as number) + y8 * k + 255 * (1 - k);
    }
  };

  // The passes that have pixels (one for a plain image, up to seven for Adam7).
  const passes = h.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const lines: { count: number; rows: number; y0: number; x0: number; dx: number; dy: number }[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const count = Math.ceil((width - x0) / dx);
    const rows = Math.ceil((height - y0) / dy);
    if (count <= 0 || rows <= 0) continue;
    lines.push({ count, rows, y0, x0, dx, dy });
  }

  let pass = 0;
  let row = 0;
  let lineBytes = 1 + Math.ceil(((lines[0]?.count ?? 0) * bitsPerPixel) / 8);
  let cur = Buffer.alloc(lineBytes);
  let prev = Buffer.alloc(lineBytes);
  let filled = 0;

  /** Takes inflated bytes; returns false once every line has been read. */
  const take = (chunk: Buffer): boolean => {
    let off = 0;
    while (off < chunk.length && pass < lines.length) {
      const n = Math.min(lineBytes - filled, chunk.length - off);
      chunk.copy(cur, filled, off, off + n);
      filled += n;
      off += n;
      if (filled < lineBytes) break;
      const p = lines[pass] as (typeof lines)[number];
      const body = cur.subarray(1);
      unfilter(cur[0] as number, body, prev.subarray(1), bpp);
      addLine(body, p.count, p.y0 + row * p.dy, p.x0, p.dx);
      [cur, prev] = [prev, cur];
      filled = 0;
      if (++row === p.rows) {
        row = 0;
        pass++;
        const next = lines[pass];
        if (next !== undefined) {
          lineBytes = 1 + Math.ceil((next.count * bitsPerPixel) / 8);
          cur = Buffer.alloc(lineBytes);
          prev = Buffer.alloc(lineBytes);
        }
      }
    }
    return pass < lines.length;
  };

  await new Promise<void>((resolve, reject) => {
    const inflate = createInflate({ chunkSize: 64 * 1024 });
    let done = false;
    const end = (err: unknown): void => {
      if (done) return;
      done = true;
      inflate.destroy();
      if (err === null) resolve();
      else reject(err instanceof Error ? err : new Error(BAD_PNG));
    };
    inflate.on('data', (chunk: Buffer) => {
      try {
        // Past the last line nothing more is inflated: the header bounds the work.
        if (!take(chunk)) end(null);
      } catch (e) {
        end(e);
      }
    });
    inflate.on('error', (e) => {
      end(e);
    });
    inflate.on('end', () => {
      end(pass < lines.length ? new Error(BAD_PNG) : null);
    });
    for (const part of h.idat) inflate.write(part);
    inflate.end();
  }).catch((e: unknown) => {
    // zlib's messages are not ours to show; our own errors (a bad filter type) pass through.
    if (e instanceof TotpMcpError) throw e;
    fail('invalid', BAD_PNG);
  });

  const data = new Uint8ClampedArray(outW * outH * 4);
  for (let i = 0; i < sums.length; i++) {
    const v = (sums[i] as number) / area;
    data[i * 4] = v;
    data[i * 4 + 1] = v;
    data[i * 4 + 2] = v;
    data[i * 4 + 3] = 255;
  }
  return { width: outW, height: outH, data };
}
