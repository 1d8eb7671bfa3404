/** QR codes for a terminal, for a phone to scan (qrcode's renderers). */
import { Redacted } from '../../core/redacted.js';

/**
 * `ansi`: half-block characters with explicit black-on-white colours, which scan on dark and light
 * terminal themes alike. `utf8`: the same blocks without colour (NO_COLOR, files, pipes): dark
 * modules are drawn in the terminal's text colour.
 */
export type QrStyle = 'ansi' | 'utf8';

export async function renderQr(text: Redacted, style: QrStyle, level: 'L' | 'M' = 'M'): Promise<Redacted> {
  const QRCode = (await import('qrcode')).default;
  const out =
    style === 'ansi'
      ? await QRCode.toString(text.reveal(), { type: 'terminal', small: true, errorCorrectionLevel: level })
      : await QRCode.toString(text.reveal(), { type: 'utf8', errorCorrectionLevel: level, margin: 2 });
  return new Redacted(out);
}

/** A QR code as an image file's bytes (PNG) or text (SVG), for printing or another device. */
export async function renderQrImage(text: Redacted, format: 'png' | 'svg'): Promise<Redacted<string | Uint8Array>> {
  const QRCode = (await import('qrcode')).default;
  if (format === 'svg')
    return new Redacted(await QRCode.toString(text.reveal(), { type: 'svg', errorCorrectionLevel: 'M', margin: 4 }));
  return new Redacted(
    await QRCode.toBuffer(text.reveal(), { type: 'png', errorCorrectionLevel: 'M', margin: 4, scale: 8 }),
  );
}
