// Item 9 of issue 18: shell completions, derived from the commander program, with account ids
// from the vault at completion time (ids only, never a secret).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/build.js';
import { cli, cliEnv, newHome, tempDir } from '../helpers/cli.js';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('totp-mcp completion', () => {
  let home: string;
  let other: string;
  let bin: string;
  let script: string;

  beforeAll(() => {
    home = newHome();
    cli(home, ['add', 'github:alice', '--uri', `otpauth://totp/GitHub:alice?secret=${SECRET}&issuer=GitHub`]);
    cli(home, ['add', 'vpn', '--uri', `otpauth://hotp/VPN:me?secret=${SECRET}&counter=0`]);
    other = newHome();
    cli(other, ['add', 'elsewhere', '--uri', `otpauth://totp/X:y?secret=${SECRET}`]);
    // The command as a user has it on PATH.
    bin = join(tempDir(), 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'totp-mcp'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(join(bin, 'totp-mcp'), 0o755);
    const r = cli(home, ['completion', 'bash']);
    expect(r.code, r.stderr).toBe(0);
    script = join(tempDir(), 'totp-mcp.bash');
    writeFileSync(script, r.stdout);
  });

  /** What bash offers for the line typed so far (the last word is the one being completed). */
  const complete = (line: string, h = home): string[] => {
    const words = line.split(' ');
    const driver = `source ${JSON.stringify(script)}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})\nCOMP_CWORD=${words.length - 1}\n_totp_mcp\nprintf '%s\\n' "\${COMPREPLY[@]}"\n`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', driver], {
      env: { ...cliEnv(h), PATH: `${bin}:${process.env['PATH'] ?? ''}` },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split('\n').filter(Boolean).sort();
  };

  it('prints a bash script that bash accepts (bash -n)', () => {
    const r = spawnSync('bash', ['-n', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('offers exactly the commands --help lists (read from the program, not a hand-written list)', () => {
    const help = cli(home, ['--help']).stdout;
    const listed = [...help.slice(help.indexOf('Commands:')).matchAll(/^ {2}([a-z][a-z-]*)/gm)]
      .map((m) => m[1])
      .filter((c) => c !== 'help');
    expect(listed.length).toBeGreaterThan(15);
    expect(complete('totp-mcp ')).toEqual([...listed].sort());
    expect(complete('totp-mcp co')).toEqual(['code', 'completion']);
    expect(complete('totp-mcp aws ')).toEqual([
      'credential-process',
      'devices',
      'enroll',
      'exec',
      'resync',
      'retire',
      'serve-credentials',
      'setup',
    ]);
    expect(complete('totp-mcp completion ')).toEqual(['bash', 'fish', 'zsh']);
    expect(complete('totp-mcp ').join(' ')).not.toContain('__complete');
  });

  it('offers options of the command and the global ones, and the choices of an option', () => {
    const code = complete('totp-mcp code --');
    for (const o of ['--watch', '--fresh', '--min-remaining', '--all', '--json', '--at', '--home', '--help'])
      expect(code).toContain(o);
    expect(code).not.toContain('--uri');
    expect(complete('totp-mcp add --algorithm SHA')).toEqual(['SHA1', 'SHA256', 'SHA512']);
    expect(complete('totp-mcp mcp-config --client c')).toEqual(['claude-code', 'claude-desktop', 'codex', 'cursor']);
    expect(complete('totp-mcp export --qr g --p')).toEqual([
      '--passphrase-command',
      '--passphrase-file',
      '--passphrase-timeout',
      '--password-stdin',
      '--png',
    ]);
  });

  it('offers account ids where an account is expected, from the vault the command line names', () => {
    expect(complete('totp-mcp code ')).toEqual(['github:alice', 'vpn']);
    expect(complete('totp-mcp edit g')).toEqual(['github:alice']);
    expect(complete('totp-mcp export --qr ')).toEqual(['github:alice', 'vpn']);
    expect(complete('totp-mcp aws credential-process --account v')).toEqual(['vpn']);
    expect(complete('totp-mcp --home /nowhere --debug rm ')).toEqual([]);
    expect(complete(`totp-mcp --home ${other} rm `)).toEqual(['elsewhere']);
    expect(complete('totp-mcp add ')).not.toContain('vpn'); // add takes a new id
    expect(complete('totp-mcp add vpn --issuer ')).toEqual([]);
  });

  it('the hidden id command prints ids only, and nothing (quietly) when the vault needs a prompt', () => {
    const r = cli(home, ['__complete-ids']);
    expect(r.stdout).toBe('github:alice\nvpn\n');
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    const locked = join(tempDir(), 'h');
    const init = cli(locked, ['init', '--passphrase-only', '--work-factor', '10'], {
      env: { TOTP_MCP_PASSPHRASE: 'correct horse' },
    });
    expect(init.code, init.stderr).toBe(0);
    expect(complete('totp-mcp code ', locked)).toEqual([]);
  });

  it('prints zsh and fish scripts from the same model (zsh and fish themselves are checked when installed)', () => {
    const zsh = cli(home, ['completion', 'zsh']).stdout;
    expect(zsh).toMatch(/^#compdef totp-mcp\n/);
    expect(zsh).toContain('bashcompinit');
    expect(zsh).toContain("'code') opts='--json --at --agent --watch");
    const fish = cli(home, ['completion', 'fish']).stdout;
    expect(fish).toContain("complete -c totp-mcp -n '__fish_use_subcommand' -a edit");
    expect(fish).toContain("-l qr -x -a '(totp-mcp __complete-ids 2>/dev/null </dev/null)'");
    for (const [shell, text] of [
      ['zsh', zsh],
      ['fish', fish],
    ] as const) {
      if (spawnSync('which', [shell]).status !== 0) continue;
      const f = join(tempDir(), `c.${shell}`);
      writeFileSync(f, text);
      const r = spawnSync(shell, shell === 'zsh' ? ['-n', f] : ['--no-execute', f], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
    }
    expect(cli(home, ['completion', 'tcsh']).code).toBe(2);
  });
});
