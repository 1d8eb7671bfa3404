// Codes and otpauth URIs. The only module that imports otpauth; its objects (which print their
// seed) never leave this folder: everything exported carries secrets as Redacted values.
export { canonicalBase32 } from './base32.js';
export { generateCode, totpStep } from './generate.js';
export { makeDraft, type DraftInput } from './draft.js';
export { parseOtpUri, formatOtpUri } from './uri.js';
