/**
 * What decoding a JPEG with jpeg-js will cost, read from its frame headers (SOF markers) before
 * a pixel is decoded. jpeg-js keeps every 8×8 block of coefficients of the whole image as its own
 * Int32Array, then every component at full size as one array per line, then the pixels twice
 * (its own buffer and the RGBA copy), so a small file that announces a large frame, many
 * components or many frames can ask for gigabytes. The estimate follows its allocations
 * (decoder.js prepareComponents, buildComponentData, getData, decode).
 */

/** Bytes one Int32Array(64) block takes on Node's heap, object and backing store together. */
const BLOCK_BYTES = 680;
/** Bytes a small typed array costs beyond its data. */
const ARRAY_OVERHEAD = 250;

interface JpegCost {
  width: number;
  height: number;
  /** Estimated peak bytes of a decode. */
  bytes: number;
}

const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** One frame: blocks, per-line component arrays, and the two pixel buffers. */
function frameCost(buf: Buffer, at: number, length: number): JpegCost | null {
  if (length < 8 || at + length > buf.length) return null;
  const height = buf.readUInt16BE(at + 1);
  const width = buf.readUInt16BE(at + 3);
  const count = buf[at + 5] ?? 0;
  if (length < 6 + 3 * count) return null;
  const factors: [number, number][] = [];
  for (let i = 0; i < count; i++) {
    const hv = buf[at + 6 + 3 * i + 1] ?? 0x11;
    factors.push([Math.max(1, hv >> 4), Math.max(1, hv & 15)]);
  }
  const maxH = Math.max(1, ...factors.map((f) => f[0]));
  const maxV = Math.max(1, ...factors.map((f) => f[1]));
  const mcusPerLine = Math.ceil(width / 8 / maxH);
  const mcusPerColumn = Math.ceil(height / 8 / maxV);
  let bytes = 0;
  for (const [h, v] of factors) {
    bytes += mcusPerLine * h * mcusPerColumn * v * BLOCK_BYTES;
    const lineBytes = Math.ceil((Math.ceil(width / 8) * h) / maxH) * 8;
    const lines = Math.ceil((Math.ceil(height / 8) * v) / maxV) * 8;
    bytes += lines * (lineBytes + ARRAY_OVERHEAD);
  }
  bytes += width * height * (count + 4);
  return { width, height, bytes };
}

/**
 * The frames of a JPEG, walked as a decoder walks them (segments by length, entropy-coded data
 * up to the next marker); the costliest frame, with every other frame's cost added (jpeg-js
 * keeps them all). Null when there is no frame header.
 */
export function jpegDecodeCost(buf: Buffer): JpegCost | null {
  let pos = 2;
  let worst: JpegCost | null = null;
  let total = 0;
  while (pos + 4 <= buf.length) {
    if (buf[pos] !== 0xff) {
      pos++;
      continue;
    }
    const m = buf[pos + 1] as number;
    if (m === 0xff || m === 0x00) {
      pos++;
      continue;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      pos += 2;
      continue;
    }
    if (m === 0xd9) break;
    const length = buf.readUInt16BE(pos + 2);
    if (isSof(m)) {
      const cost = frameCost(buf, pos + 4, length - 2);
      if (cost !== null) {
        total += cost.bytes;
        if (worst === null || cost.bytes > worst.bytes) worst = cost;
      }
    }
    pos += 2 + length;
    if (m === 0xda) {
      // Entropy-coded data: 0xFF appears only stuffed (FF 00) or as a restart marker.
      while (
        pos + 1 < buf.length &&
        !(
          buf[pos] === 0xff &&
          buf[pos + 1] !== 0x00 &&
          !((buf[pos + 1] as number) >= 0xd0 && (buf[pos + 1] as number) <= 0xd7)
        )
      )
        pos++;
    }
  }
  return worst === null ? null : { ...worst, bytes: total + buf.length };
}
