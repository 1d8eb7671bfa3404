/**
 * QR codes in PNG and JPEG images, pure JS: png.ts (streamed) / jpeg-js → RGBA → jsQR.
 * jsQR traps: `inversionAttempts` is always passed ('attemptBoth': dark-mode codes decode; the
 * option would otherwise leak between calls), never 'onlyInvert' (it throws). One code per image.
 *
 * Images are hostile input too: dimensions are read from the header and capped before any pixel
 * is decoded, a PNG is decoded a few lines at a time straight into its downscaled form (so its bit
 * depth, size and compression ratio do not set the memory it takes), and huge screenshots are
 * box-downscaled before jsQR sees them.
 */
import { fail } from '../../core/errors.js';
import { Redacted } from '../../core/redacted.js';
import { jpegDecodeCost } from './jpeg-cost.js';
import { decodePngScaled, type Rgba } from './png.js';

/** Largest image decoded: 40 megapixels (an 8K screenshot is 33). */
const MAX_PIXELS = 40_000_000;
/**
 * Most memory a JPEG decode may take, as estimated from its frame headers: an 8-megapixel photo
 * fits. jpeg-js holds the whole image several times over, so a larger one must be cropped (or
 * saved as PNG, which is decoded a few lines at a time).
 */
const MAX_JPEG_DECODE_BYTES = 200 * 1024 * 1024;
/** Longest side handed to jsQR; larger images are downscaled first (a 4K screenshot takes ~250 ms). */
const MAX_SCAN_SIDE = 2048;

const isPng = (b: Uint8Array): boolean =>
  b.length >= 8 &&
  b[0] === 0x89 &&
  b[1] === 0x50 &&
  b[2] === 0x4e &&
  b[3] === 0x47 &&
  b[4] === 0x0d &&
  b[5] === 0x0a &&
  b[6] === 0x1a &&
  b[7] === 0x0a;
const isJpeg = (b: Uint8Array): boolean => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
export const isImage = (b: Uint8Array): boolean => isPng(b) || isJpeg(b);

type JsQr = (
  data: Uint8ClampedArray,
  width: number,
  height: number,
  options: { inversionAttempts: 'attemptBoth' },
) => { data: string } | null;

const BAD_JPEG = 'the JPEG image is damaged, truncated or of an unsupported kind';

function tooBig(): never {
  return fail('invalid', `the image is larger than ${MAX_PIXELS / 1_000_000} megapixels: crop it to the QR code`);
}

async function decodeJpeg(buf: Buffer): Promise<Rgba> {
  const cost = jpegDecodeCost(buf);
  if (cost === null) return fail('invalid', BAD_JPEG);
  if (cost.width * cost.height > MAX_PIXELS) tooBig();
  if (cost.bytes > MAX_JPEG_DECODE_BYTES) {
    fail(
      'invalid',
      `the JPEG image is too large to decode (${cost.width}×${cost.height}): crop it to the QR code, or save it as PNG`,
    );
  }
  const jpeg = (await import('jpeg-js')).default;
  let img;
  try {
    // jpeg-js counts less than it takes: its own limit is only a backstop to the estimate above.
    img = jpeg.decode(buf, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_PIXELS / 1_000_000,
      maxMemoryUsageInMB: MAX_JPEG_DECODE_BYTES / 1024 / 1024,
    });
  } catch (e) {
    if (e instanceof Error && /maxResolutionInMP|maxMemoryUsageInMB/.test(e.message)) tooBig();
    return fail('invalid', BAD_JPEG);
  }
  if (img.width === 0 || img.height === 0) fail('invalid', BAD_JPEG);
  return {
    width: img.width,
    height: img.height,
    data: new Uint8ClampedArray(img.data.buffer, img.data.byteOffset, img.data.length),
  };
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
  let first: Rgba;
  if (isPng(buf)) {
    // Streamed: luminance over white, already at most MAX_SCAN_SIDE on a side.
    first = await decodePngScaled(buf, MAX_SCAN_SIDE, (w, h) => {
      if (w * h > MAX_PIXELS) tooBig();
    });
  } else if (isJpeg(buf)) {
    const img = await decodeJpeg(buf);
    flattenAlpha(img);
    first = downscale(img, Math.ceil(Math.max(img.width, img.height) / MAX_SCAN_SIDE));
  } else {
    return fail('invalid', 'not a PNG or JPEG image');
  }
  // jsqr is CommonJS with a `default` property: Node and esbuild hand over module.exports or its default.
  const m = (await import('jsqr')) as unknown as { default: JsQr | { default: JsQr } };
  const jsQR: JsQr = typeof m.default === 'function' ? m.default : m.default.default;
  const scan = (i: Rgba) => jsQR(i.data, i.width, i.height, { inversionAttempts: 'attemptBoth' })?.data;

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
