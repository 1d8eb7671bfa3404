// The approval key (src/app/approval-key.ts): one subject, one key; every part of the tuple counts,
// and a remembered approval is forgotten when the policy pin changes.
import { describe, expect, it } from 'vitest';
import {
  approvalKey,
  approvalQuestion,
  pinId,
  RememberedApprovals,
  type ApprovalSubject,
} from '../../src/app/approval-key.js';

const pin = pinId({ sha256: 'a'.repeat(64), applied_at: '2026-12-04T22:00:00.000Z' });
const base: ApprovalSubject = {
  agent: 'claude',
  account: 'prod',
  action: 'aws_session',
  aws: { role: 'deploy', duration_seconds: 3600, delivery: 'profile' },
  rule: 'r1',
  pin,
};

describe('approval key', () => {
  it('differs when any part of the subject differs, and not for the shown cap alone', () => {
    const variants: ApprovalSubject[] = [
      { ...base, agent: 'other' },
      { ...base, account: 'user' },
      { ...base, action: 'code', aws: undefined },
      { ...base, aws: { role: 'admin', duration_seconds: 3600, delivery: 'profile' } },
      { ...base, aws: { role: null, duration_seconds: 3600, delivery: 'profile' } },
      { ...base, aws: { role: 'deploy', duration_seconds: 7200, delivery: 'profile' } },
      { ...base, aws: { role: 'deploy', duration_seconds: null, delivery: 'profile' } },
      { ...base, aws: { role: 'deploy', duration_seconds: 3600, delivery: 'inline' } },
      { ...base, rule: 'r2' },
      { ...base, pin: pinId({ sha256: 'a'.repeat(64), applied_at: '2026-12-04T22:00:01.000Z' }) },
      { ...base, pin: pinId({ sha256: 'b'.repeat(64), applied_at: '2026-12-04T22:00:00.000Z' }) },
    ];
    const keys = new Set([base, ...variants].map(approvalKey));
    expect(keys.size).toBe(variants.length + 1);
    expect(
      approvalKey({
        ...base,
        aws: { role: 'deploy', duration_seconds: 3600, delivery: 'profile', max_duration_seconds: 7200 },
      }),
    ).toBe(approvalKey(base));
    expect(approvalKey(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the question names the action, the role and the duration', () => {
    expect(approvalQuestion({ ...base, action: 'code', aws: undefined })).toBe(
      'Agent "claude" asks for the code of prod. Allow?',
    );
    expect(approvalQuestion(base)).toBe(
      'Agent "claude" asks for an AWS session on prod: role deploy, for 1 h, written to an AWS profile. Allow?',
    );
    expect(
      approvalQuestion({
        ...base,
        aws: { role: null, duration_seconds: null, delivery: 'inline', max_duration_seconds: 1800 },
      }),
    ).toBe(
      'Agent "claude" asks for an AWS session on prod: the MFA user\'s own session, for the default duration (at most 30 min), keys returned to the agent. Allow?',
    );
  });

  it('a remembered approval holds for its subject only, until it expires or the pin changes', () => {
    const store = new RememberedApprovals();
    store.remember(base, 10_000, 0);
    expect(store.has(base, 5_000)).toBe(true);
    expect(store.has(base, 10_000)).toBe(false);
    expect(store.has({ ...base, rule: 'r2' }, 5_000)).toBe(false);
    expect(store.has({ ...base, action: 'code', aws: undefined }, 5_000)).toBe(false);
    const newPin = { ...base, pin: pinId({ sha256: 'b'.repeat(64), applied_at: '2026-12-04T23:00:00.000Z' }) };
    expect(store.has(newPin, 5_000)).toBe(false);
    // The new pin forgot the old entries: back under the old pin, nothing is remembered.
    expect(store.has(base, 5_000)).toBe(false);
  });
});
