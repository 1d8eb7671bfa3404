// Every code block of the README a user might paste is checked: shell blocks parse in bash, JSON
// parses, and YAML parses and, where it is a policy (or a policy's agents and rules), validates
// exactly as `policy apply` would. A block in a language not listed here fails the test, so a new
// kind of block gets a check.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parsePolicy } from '../src/policy/index.js';
import { ROOT } from './helpers/build.js';

interface Block {
  readonly lang: string;
  readonly line: number;
  readonly text: string;
}

function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```([a-z]*)$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && lines[j]!.trim() !== '```'; j++) body.push(lines[j]!.slice(indent));
    out.push({ lang: open[2]!, line: i + 1, text: body.join('\n') });
    i = j;
  }
  return out;
}

const README = blocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
const named = (lang: string) => README.filter((b) => b.lang === lang).map((b) => [`line ${b.line}`, b] as const);

describe('README code blocks', () => {
  it('are all of a kind this test checks (or plain output)', () => {
    expect(README.length).toBeGreaterThan(10);
    for (const b of README)
      expect(['sh', 'yaml', 'json', 'jsonc', 'console', 'toml', 'ini', 'hcl', ''], `line ${b.line}`).toContain(b.lang);
  });

  it.each(named('sh'))('sh block at %s parses in bash', (_, b) => {
    const r = spawnSync('bash', ['-n'], { input: b.text, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.each([...named('json'), ...named('jsonc')])('JSON block at %s parses', (_, b) => {
    const text = b.lang === 'jsonc' ? b.text.replace(/^\s*\/\/.*$/gm, '') : b.text;
    // A jsonc block may hold several documents, one per comment: each must parse.
    for (const doc of b.lang === 'jsonc' ? text.split(/\n\s*\n/).filter((d) => d.trim() !== '') : [text])
      expect(() => JSON.parse(doc) as unknown).not.toThrow();
  });

  it.each(named('yaml'))('YAML block at %s is a valid policy, or the agents and rules of one', (_, b) => {
    const doc = parseYaml(b.text) as Record<string, unknown>;
    expect(doc).toHaveProperty('rules');
    const text = 'version' in doc ? b.text : `version: 1\n${b.text}`;
    expect(() => parsePolicy(text, `README.md:${b.line}`)).not.toThrow();
  });
});
