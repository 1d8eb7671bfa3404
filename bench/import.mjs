// `node bench/import.mjs` (after `npm run build`): issue 6's figure, written to bench/results/import.json.
// Import a 5,000-entry Aegis plain export end to end through the CLI (a fresh process, an X25519
// home): target ≤ 2 s, exactly one vault write. Writes are counted from the vault's backup
// generations, whose names carry a sequence number that grows by one per write.
import { spawnSync } from 'node:child_process';
import { randomUUID, createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { median, round } from './stats.mjs';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'totp-mcp.mjs');
const ENTRIES = 5000;
const RUNS = 5;
// The project's own encoder (Google's migration format carries raw bytes).
const { bytesToBase32: base32 } = await import(join(root, 'dist', 'lib', 'otp', 'base32.js'));

/** An Aegis plain export (docs/vault.md) of n distinct TOTP accounts, a few HOTP and Steam among them. */
function aegisExport(n) {
  const entries = [];
  for (let i = 0; i < n; i++) {
    const type = i % 50 === 7 ? 'hotp' : i % 97 === 3 ? 'steam' : 'totp';
    const secret = base32(createHash('sha1').update(`bench-${i}`).digest());
    const info =
      type === 'hotp'
        ? { secret, algo: 'SHA1', digits: 6, counter: i }
        : { secret, algo: i % 3 ? 'SHA1' : 'SHA256', digits: type === 'steam' ? 5 : 6, period: 30 };
    entries.push({
      type,
      uuid: randomUUID(),
      name: `user${i}@example.com`,
      issuer: `Service ${i % 400}`,
      note: '',
      favorite: false,
      icon: null,
      info,
      groups: [],
    });
  }
  return JSON.stringify(
    { version: 1, header: { slots: null, params: null }, db: { version: 3, entries, groups: [] } },
    null,
    4,
  );
}

const writes = (home) =>
  Math.max(0, ...readdirSync(join(home, 'backups')).map((n) => Number(/^vault-(\d+)-/.exec(n)?.[1] ?? 0)));

function run(args, env) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`totp-mcp ${args.join(' ')} failed: ${r.stderr}`);
  return { ms, stdout: r.stdout };
}

const dir = mkdtempSync(join(tmpdir(), 'totp-bench-import-'));
const file = join(dir, 'aegis-5000.json');
writeFileSync(file, aegisExport(ENTRIES));

const base = [];
const times = [];
const dry = [];
const writeCounts = [];
for (let i = 0; i < RUNS; i++) {
  const home = join(dir, `home-${i}`);
  mkdirSync(dirname(home), { recursive: true });
  const env = { PATH: process.env.PATH, HOME: dir, TOTP_MCP_HOME: home, NO_COLOR: '1' };
  run(['init'], env);
  base.push(run(['--version'], env).ms); // the CLI's own start-up, for scale
  dry.push(run(['import', file, '--dry-run'], env).ms);
  const before = writes(home);
  const r = run(['import', file, '--tag', 'bench'], env);
  if (!r.stdout.includes(`imported ${ENTRIES}, skipped 0, conflicts 0`))
    throw new Error(`unexpected summary: ${r.stdout.slice(-200)}`);
  times.push(r.ms);
  writeCounts.push(writes(home) - before);
}

const results = {
  // The machine is shared: the 1-minute load average says how busy it was during the run.
  machine: {
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    loadavg_1m: round((await import('node:os')).loadavg()[0]),
  },
  at: new Date().toISOString(),
  aegis_plain_5000: {
    entries: ENTRIES,
    file_bytes: statSync(file).size,
    runs: RUNS,
    import_ms_median: round(median(times)),
    import_ms_max: round(Math.max(...times)),
    dry_run_ms_median: round(median(dry)),
    cli_version_ms_median: round(median(base)),
    vault_writes_per_import: [...new Set(writeCounts)],
    target_ms: 2000,
    target_writes: 1,
    pass: Math.max(...times) <= 2000 && writeCounts.every((w) => w === 1),
  },
};
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'import.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(results.aegis_plain_5000);
