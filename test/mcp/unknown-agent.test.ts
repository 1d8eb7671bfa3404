// Issue 18 item 11: `serve --agent NAME` with a name the applied policy does not know says so in one
// line on stderr at start (a typo in a client's config otherwise denies everything silently);
// stdout stays JSON-RPC only, and a known agent's stderr stays empty.
import { chmodSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { newHome } from '../helpers/cli.js';
import { call, connect, expectAllStdoutClean, homeWithPolicy } from './helpers.js';

afterAll(() => {
  expectAllStdoutClean();
});

describe('serve --agent with a name the policy does not know', () => {
  it("prints one line on stderr naming the agent and the policy's agents; requests are still denied and answered", async () => {
    const home = homeWithPolicy();
    const c = await connect(home, { agent: 'claude-dekstop' });
    try {
      expect(await call(c, 'get_totp_code', { account: 'github:alice' })).toMatchObject({
        isError: true,
        text: 'denied: this agent is not in the policy',
      });
      expect(c.stderr()).toBe(
        "totp-mcp serve: agent 'claude-dekstop' is not in the applied policy: every request will be denied (the policy names: bot, other)\n",
      );
    } finally {
      await c.close();
    }
  });

  it('a known agent, or a home with no applied policy, starts with nothing on stderr', async () => {
    const known = await connect(homeWithPolicy(), { agent: 'bot' });
    const bare = await connect(newHome(), { agent: 'bot' });
    try {
      expect((await call(known, 'get_totp_code', { account: 'github:alice' })).isError).toBe(false);
      expect((await call(bare, 'list_accounts')).text).toMatch(/^denied: /); // no policy: denied, said per request
      expect(known.stderr()).toBe('');
      expect(bare.stderr()).toBe('');
    } finally {
      await known.close();
      await bare.close();
    }
  });
});

describe('serve and loose permissions', () => {
  it('a group-readable home is said on stderr with --debug only; stdout stays JSON-RPC', async () => {
    const home = homeWithPolicy();
    chmodSync(home, 0o755);
    const quiet = await connect(home, { agent: 'bot' });
    const debug = await connect(home, { agent: 'bot', args: ['--debug'] });
    try {
      expect((await call(quiet, 'list_accounts')).isError).toBe(false);
      expect((await call(debug, 'list_accounts')).isError).toBe(false);
      expect(quiet.stderr()).toBe('');
      expect(debug.stderr()).toContain(
        `totp-mcp serve: warning: ${home} has mode 0755: group or others have access (chmod 700 ${home})\n`,
      );
    } finally {
      await quiet.close();
      await debug.close();
    }
  });
});
