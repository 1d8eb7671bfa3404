// Item 8 of issue 18: `export --qr ID --png FILE` / `--svg FILE` (the QR was only drawn in the terminal).
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeQrImage } from '../../src/otp/importers/qr.js';
import { cli, newHome, tempDir } from '../helpers/cli.js';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('export --qr to an image file', () => {
  it('writes a 0600 PNG whose QR code decodes (with our own reader) to the exported URI; never over a file unless --force', async () => {
    const home = newHome();
    cli(home, ['add', 'gh', '--uri', `otpauth://totp/GitHub:alice?secret=${SECRET}&issuer=GitHub`]);
    const uri = cli(home, ['export', '--uri', 'gh']).stdout.trim();
    const dir = tempDir();
    const png = join(dir, 'gh.png');
    const r = cli(home, ['export', '--qr', 'gh', '--png', png]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^warning: .*gh\.png will hold the secret of gh as a QR code/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(statSync(png).mode & 0o777).toBe(0o600);
    expect((await decodeQrImage(readFileSync(png))).reveal()).toBe(uri);
    // And the real CLI imports it back.
    const other = newHome();
    expect(cli(other, ['import', png]).code).toBe(0);
    expect(cli(other, ['code', 'github:alice', '--at', '1234567890']).stdout).toBe('005924\n');

    writeFileSync(png, 'mine');
    const again = cli(home, ['export', '--qr', 'gh', '--png', png]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists: not overwritten/);
    expect(readFileSync(png, 'utf8')).toBe('mine');
    expect(cli(home, ['export', '--qr', 'gh', '--png', png, '--force']).code).toBe(0);
    expect((await decodeQrImage(readFileSync(png))).reveal()).toBe(uri);
    expect(statSync(png).mode & 0o777).toBe(0o600);
  });

  it('writes an SVG, and refuses the image options without --qr or both at once', () => {
    const home = newHome();
    cli(home, ['add', 'gh', '--uri', `otpauth://totp/GitHub:alice?secret=${SECRET}&issuer=GitHub`]);
    const dir = tempDir();
    const svg = join(dir, 'gh.svg');
    expect(cli(home, ['export', '--qr', 'gh', '--svg', svg]).code).toBe(0);
    const text = readFileSync(svg, 'utf8');
    expect(text).toMatch(/^<svg [^>]*viewBox="0 0 \d+ \d+"/);
    expect(text).not.toContain(SECRET);
    expect(statSync(svg).mode & 0o777).toBe(0o600);
    expect(cli(home, ['export', '--png', join(dir, 'x.png')]).code).toBe(2);
    expect(cli(home, ['export', '--qr', 'gh', '--png', join(dir, 'a.png'), '--svg', join(dir, 'b.svg')]).code).toBe(2);
    expect(cli(home, ['export', '--uri', '--force']).code).toBe(2);
    expect(cli(home, ['export', '--qr', 'nope', '--png', join(dir, 'n.png')]).code).toBe(1);
  });
});
