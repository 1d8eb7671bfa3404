/**
 * QR codes in PNG and JPEG images, pure JS (reference §11): pngjs / jpeg-js → RGBA → jsQR.
 * jsQR traps: `inversionAttempts` is always passed ('attemptBoth': dark-mode codes decode; the
 * option would otherwise leak between calls), never 'onlyInvert' (it throws). One code per image.
 *
 * Images are hostile input too: dimensions are read from the header and capped before any pixel
 * is decoded, an interlaced PNG's data is inflated with a bound first (pngjs inflates it without
 * one), and huge screenshots are box-downscaled before jsQR sees them.
 */
import { inflateSync } from 'node:zlib';
import { fail } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';

/** Largest image decoded: 40 megapixels (an 8K screenshot is 33). */
export const MAX_PIXELS = 40_000_000;
/** Longest side handed to jsQR; larger images are downscaled first (a 4K screenshot takes ~250 ms). */
const MAX_SCAN_SIDE = 2048;

export const isPng = (b: Uint8Array): boolean =>
  b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a;
export const isJpeg = (b: Uint8Array): boolean => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
export const isImage = (b: Uint8Array): boolean => isPng(b) || isJpeg(b);

type JsQr = (data: Uint8ClampedArray, width: number, height: number, options: { inversionAttempts: 'attemptBoth' }) => { data: string } | null;

interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

const BAD_PNG = 'the PNG image is damaged or truncated';
const BAD_JPEG = 'the JPEG image is damaged, truncated or of an unsupported kind';

function tooBig(): never {
  return fail('invalid', `the image is larger than ${MAX_PIXELS / 1_000_000} megapixels: crop it to the QR code`);
}

/** Walks the PNG chunks: checks the header's size, and bounds an interlaced image's inflated data. */
function checkPng(buf: Buffer): void {
  let pos = 8;
  let width = 0;
  let height = 0;
  let interlaced = false;
  let bitsPerPixel = 32;
  const idat: Buffer[] = [];
  while (pos + 8 <= buf.length) {
    const length = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    const start = pos + 8;
    if (length > buf.length - start) fail('invalid', BAD_PNG);
    if (type === 'IHDR') {
      if (length < 13) fail('invalid', BAD_PNG);
      width = buf.readUInt32BE(start);
      height = buf.readUInt32BE(start + 4);
      const depth = buf[start + 8] ?? 8;
      const channels = [1, 0, 3, 1, 2, 0, 4][buf[start + 9] ?? 6] ?? 4;
      bitsPerPixel = Math.max(1, depth * channels);
      interlaced = buf[start + 12] === 1;
      if (width === 0 || height === 0) fail('invalid', BAD_PNG);
      if (width * height > MAX_PIXELS) tooBig();
    } else if (type === 'IDAT') {
      idat.push(buf.subarray(start, start + length));
    } else if (type === 'IEND') {
      break;
    }
    pos = start + length + 4; // data + CRC
  }
  if (width === 0) fail('invalid', BAD_PNG);
  if (interlaced) {
    // Seven passes, each row with a filter byte: well under twice the plain size.
    const bound = 2 * (Math.ceil((width * bitsPerPixel) / 8) + 1) * height + 1024;
    try {
      inflateSync(Buffer.concat(idat), { maxOutputLength: bound });
    } catch {
      fail('invalid', `${BAD_PNG} (or its data unpacks far beyond its size)`);
    }
  }
}

async function decodePng(buf: Buffer): Promise<Rgba> {
  checkPng(buf);
  // pngjs is CommonJS: Node exposes PNG as a named export, the esbuild bundle only as default.PNG.
  const m = (await import('pngjs')) as Partial<typeof import('pngjs')> & { default?: typeof import('pngjs') };
  const PNG = m.PNG ?? m.default?.PNG;
  if (!PNG) return fail('internal', 'the PNG decoder did not load');
  let png;
  try {
    png = PNG.sync.read(buf);
  } catch {
    return fail('invalid', BAD_PNG);
  }
  return { width: png.width, height: png.height, data: new Uint8ClampedArray(png.data.buffer, png.data.byteOffset, png.data.length) };
}

async function decodeJpeg(buf: Buffer): Promise<Rgba> {
  const jpeg = (await import('jpeg-js')).default;
  let img;
  try {
    img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1_000_000, maxMemoryUsageInMB: 1024 });
  } catch (e) {
    if (e instanceof Error && /maxResolutionInMP|maxMemoryUsageInMB/.test(e.message)) tooBig();
    return fail('invalid', BAD_JPEG);
  }
  if (img.width === 0 || img.height === 0) fail('invalid', BAD_JPEG);
  return { width: img.width, height: img.height, data: new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length) };
}

/** Box-filter downscale by an integer factor (averages each f×f block). */
export function downscale(img: Rgba, factor: number): Rgba {
  if (factor <= 1) return img;
  const width = Math.floor(img.width / factor);
  const height = Math.floor(img.height / factor);
  const out = new Uint8ClampedArray(width * height * 4);
  const area = factor * factor;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let dy = 0; dy < factor; dy++) {
        let i = ((y * factor + dy) * img.width + x * factor) * 4;
        for (let dx = 0; dx < factor; dx++, i += 4) {
          r += img.data[i] ?? 0;
          g += img.data[i + 1] ?? 0;
          b += img.data[i + 2] ?? 0;
          a += img.data[i + 3] ?? 0;
        }
      }
      const o = (y * width + x) * 4;
      out[o] = r / area;
      out[o + 1] = g / area;
      out[o + 2] = b / area;
      out[o + 3] = a / area;
    }
  }
  return { width, height, data: out };
}

/**
 * Transparent pixels over white: a QR exported with a transparent background has "black" modules
 * and transparent (0,0,0,0) light modules, which read as all black.
 */
function flattenAlpha(img: Rgba): void {
  const d = img.data;
  for (let i = 3; i < d.length; i += 4) {
    const a = d[i] ?? 255;
    if (a === 255) continue;
    const k = a / 255;
    d[i - 3] = (d[i - 3] ?? 0) * k + 255 * (1 - k);
    d[i - 2] = (d[i - 2] ?? 0) * k + 255 * (1 - k);
    d[i - 1] = (d[i - 1] ?? 0) * k + 255 * (1 - k);
    d[i] = 255;
  }
}

/** The text of the one QR code in a PNG or JPEG image. Throws 'invalid' when there is none. */
export async function decodeQrImage(bytes: Uint8Array): Promise<Redacted> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let img: Rgba;
  if (isPng(buf)) img = await decodePng(buf);
  else if (isJpeg(buf)) img = await decodeJpeg(buf);
  else return fail('invalid', 'not a PNG or JPEG image');
  flattenAlpha(img);
  // jsqr is CommonJS with a `default` property: Node and esbuild hand over module.exports or its default.
  const m = (await import('jsqr')) as unknown as { default: JsQr | { default: JsQr } };
  const jsQR: JsQr = typeof m.default === 'function' ? m.default : m.default.default;
  const scan = (i: Rgba) => jsQR(i.data, i.width, i.height, { inversionAttempts: 'attemptBoth' })?.data;

  const side = Math.max(img.width, img.height);
  const first = downscale(img, Math.ceil(side / MAX_SCAN_SIDE));
  let text = scan(first);
  // A large, soft or noisy code often reads once it is smaller.
  if (!text && Math.max(first.width, first.height) >= 800) text = scan(downscale(first, 2));
  if (!text) {
    return fail('invalid', 'no QR code found in the image', {
      hint: 'the image must show one whole, sharp QR code; crop a screenshot to one code (two codes in one image do not read)',
    });
  }
  return new Redacted(text);
}
