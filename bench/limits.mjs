// Rate-limited rules: `get_totp_code` under a rule with `limit: {count: 1000000, per: 1h}` against
// the same server under the same rule without `limit`, one connection each: sequential latency and
// 64 calls in flight. A limited use is reserved under a short per-key lock and recorded under it
// (src/app/limits.ts); the figures show what that costs against an unlimited rule.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeHome } from './home.mjs';
import { rpcServer } from './rpc.mjs';
import { median, pct, round } from './stats.mjs';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'dist', 'totp-mcp.mjs');

const policy = (limit) => `version: 1
agents:
  bench: {}
rules:
  - id: bench-all
    agents: [bench]
    accounts: ["acct-*"]
    actions: [list, code]${limit ? '\n    limit: { count: 1000000, per: 1h }' : ''}
`;

async function homeWith(limit) {
  const { home } = await makeHome(10, { prefix: 'totp-bench-limits-' });
  writeFileSync(join(home, 'policy.yaml'), policy(limit), { mode: 0o600 });
  const r = spawnSync(process.execPath, [cli, 'policy', 'apply'], {
    env: { ...process.env, TOTP_MCP_HOME: home },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return home;
}

/** A `serve` process spoken to over raw JSON-RPC lines. */
function start(home) {
  const { request, ready, stop } = rpcServer([cli, 'serve', '--agent', 'bench'], {
    env: { ...process.env, TOTP_MCP_HOME: home },
  });
  const code = async (i) => {
    const r = await request('tools/call', {
      name: 'get_totp_code',
      arguments: { account: `acct-${1 + (i % 9)}`, min_remaining_seconds: 0 },
    });
    if (r.isError || !/^\d{6}$/.test(r.structuredContent?.code ?? '')) throw new Error(JSON.stringify(r));
  };
  return { ready, code, stop };
}

async function measure(home) {
  const s = start(home);
  await s.ready;
  for (let i = 0; i < 200; i++) await s.code(i); // warm-up
  const lat = [];
  for (let i = 0; i < 1000; i++) {
    const t0 = performance.now();
    await s.code(i);
    lat.push(performance.now() - t0);
  }
  const total = 5000;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next < total) await s.code(next++);
    }),
  );
  const perS = Math.round((total / (performance.now() - t0)) * 1000);
  await s.stop();
  return { p50: pct(lat, 50), p99: pct(lat, 99), perS };
}

const homes = { limited: await homeWith(true), unlimited: await homeWith(false) };
const ROUNDS = 3;
const runs = { limited: [], unlimited: [] };
for (let r = 0; r < ROUNDS; r++) for (const k of ['unlimited', 'limited']) runs[k].push(await measure(homes[k]));
const fig = (k) => ({
  seq_p50_ms: round(median(runs[k].map((x) => x.p50)), 3),
  seq_p99_ms: round(median(runs[k].map((x) => x.p99)), 3),
  in_flight_64_calls_per_s: median(runs[k].map((x) => x.perS)),
  rounds: runs[k].map((x) => ({ p50_ms: round(x.p50, 3), calls_per_s: x.perS })),
});
const out = {
  at: new Date().toISOString(),
  note: 'get_totp_code, one connection; limited: rule with limit {count: 1000000, per: 1h}; unlimited: the same rule without limit',
  limited: fig('limited'),
  unlimited: fig('unlimited'),
};
out.in_flight_ratio = round(out.limited.in_flight_64_calls_per_s / out.unlimited.in_flight_64_calls_per_s);
out.seq_p50_ratio = round(out.limited.seq_p50_ms / out.unlimited.seq_p50_ms);
out.targets = { in_flight_ratio: '>= 0.5', seq_p50_ratio: '<= 1.3' };
out.pass = out.in_flight_ratio >= 0.5 && out.seq_p50_ratio <= 1.3;
mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
writeFileSync(join(import.meta.dirname, 'results', 'limits.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(JSON.stringify(out, null, 2));
