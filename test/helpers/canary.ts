// The leak canary: every form a planted seed could take in an output.
import { expect } from 'vitest';
import { base32ToBytes } from './base32.js';
import { CANARY_SECRET } from './cli.js';

/** Every form the canary seed could leak in. */
export function canaryForms(): string[] {
  const bytes = Buffer.from(base32ToBytes(CANARY_SECRET));
  return [
    CANARY_SECRET,
    CANARY_SECRET.toLowerCase(),
    bytes.toString('hex'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('latin1'),
  ];
}

export function expectNoCanary(where: string, text: string): void {
  for (const form of canaryForms()) expect(text.includes(form), `${where} contains the canary seed`).toBe(false);
}
