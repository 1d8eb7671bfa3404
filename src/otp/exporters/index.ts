/** Exporters: Aegis JSON, Google Authenticator migration codes, terminal QR codes. Every output carries seeds: Redacted. */
export { aegisExport } from './aegis.js';
export { googleExport } from './google.js';
export { renderQr, renderQrImage, type QrStyle } from './qr.js';
