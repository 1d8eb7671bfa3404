/** Exporters: Aegis JSON, Google Authenticator migration codes, terminal QR codes. Every output carries seeds: Redacted. */
export { aegisExport, AEGIS_SCRYPT } from './aegis.js';
export { googleExport, ACCOUNTS_PER_CODE, type GoogleCode, type GoogleExport } from './google.js';
export { renderQr, renderQrImage, type QrStyle } from './qr.js';
