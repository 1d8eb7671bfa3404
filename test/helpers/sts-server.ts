/**
 * A local STS endpoint for the tests: real HTTP on 127.0.0.1, the STS Query protocol
 * (GetSessionToken, AssumeRole, GetCallerIdentity) with XML responses and error bodies as AWS
 * sends them, SigV4 verified against known keys, MFA codes checked against the
 * device's seed with single use per step (a reused code gets the very answer of a wrong one),
 * the duration rules STS enforces, and call counters. Independent of src/: its own TOTP, its own SigV4.
 *
 * Time: MFA steps and credential expiry follow `now()` (injectable, so tests can run a virtual
 * clock); SigV4's 15-minute window follows the real clock, as the SDKs sign with it.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { base32ToBytes } from './base32.js';

export interface StsUser {
  arn: string; // arn:aws:iam::123456789012:user/alice
  accessKeyId: string;
  secretAccessKey: string;
  mfa: { serial: string; seed: string; period?: number; digits?: number };
  root?: boolean;
}

export interface StsRole {
  arn: string;
  maxSessionDuration?: number; // default 3600
  /** User ARNs allowed to assume it (default: every user). */
  trusted?: string[];
  requireMfa?: boolean;
  /** Trust policy allows sts:SetSourceIdentity (default true). */
  allowSourceIdentity?: boolean;
  externalId?: string;
}

export interface StsCall {
  action: string;
  accessKeyId: string;
  region: string;
  /** The request carried SerialNumber and TokenCode. */
  mfa: boolean;
  /** The step the code matched (or was checked against). */
  step: number | null;
  ok: boolean;
  error: string | null;
  message: string | null;
  durationSeconds: number | null;
  sourceIdentity: string | null;
  roleSessionName: string | null;
  at: number;
}

interface Issued {
  secret: string;
  token: string;
  expires: number;
  user: StsUser;
  mfa: boolean;
  arn: string;
  kind: 'session' | 'role';
  sourceIdentity: string | null;
}

interface Injected {
  action: string;
  status: number;
  code: string;
  message: string;
  type?: 'Sender' | 'Receiver';
}

export const MFA_INVALID = 'MultiFactorAuthentication failed with invalid MFA one time pass code. ';
export const MFA_UNVALIDATED =
  'MultiFactorAuthentication failed, unable to validate MFA code.  Please verify your MFA serial number is valid and associated with this user.';
export const MFA_BOTH = 'MultiFactorAuthentication failed, must provide both MFA serial number and one time pass code.';
export const GST_WITH_SESSION = 'Cannot call GetSessionToken with session credentials';
export const CHAINING =
  'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.';
export const OVER_MAX = 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.';
export const EXPIRED = 'The security token included in the request is expired';
export const INVALID_TOKEN = 'The security token included in the request is invalid.';
export const BAD_SIGNATURE =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const IAM_NS = 'https://iam.amazonaws.com/doc/2010-05-08/';
const IAM_ACTIONS = new Set([
  'CreateVirtualMFADevice',
  'EnableMFADevice',
  'ResyncMFADevice',
  'ListMFADevices',
  'DeactivateMFADevice',
  'DeleteVirtualMFADevice',
]);

/** RFC 4648 base32 (no padding), independent of src/. */
function bytesToBase32Ref(b: Buffer): string {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const x of b) {
    value = (value << 8) | x;
    bits += 8;
    while (bits >= 5) {
      out += A.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  if (bits > 0) out += A.charAt((value << (5 - bits)) & 31);
  return out;
}
const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const sha256hex = (b: string | Buffer): string => createHash('sha256').update(b).digest('hex');
const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 6238 TOTP, independent of src/. */
export function refTotp(seed: string, step: number, digits = 6): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', Buffer.from(base32ToBytes(seed)))
    .update(msg)
    .digest();
  const o = h[h.length - 1]! & 0x0f;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 10 ** digits).padStart(digits, '0');
}

const amzDate = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

class StsFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly type: 'Sender' | 'Receiver' = 'Sender',
  ) {
    super(message);
  }
}

export class StsServer {
  readonly calls: StsCall[] = [];
  readonly issued = new Map<string, Issued>();
  readonly usedSteps = new Map<string, Set<number>>();
  #server: Server;
  #injected: Injected[] = [];
  #url = '';
  /** Accept codes of the previous step too (AWS tolerates some drift). */
  window = 1;
  /** Artificial latency per request, ms. */
  latencyMs = 0;
  /** IAM: virtual MFA devices by serial (issue 16). The user's own `mfa` device counts as one more. */
  readonly devices = new Map<string, { name: string; seed: string; user: string | null; enabled: number | null }>();
  /** IAM: the seed the next CreateVirtualMFADevice returns (a canary in tests), else a random one. */
  nextSeed: string | null = null;
  /** Added to the Date header of every answer: AWS's clock as the client sees it (clock-skew tests). */
  dateOffsetMs = 0;

  constructor(
    readonly users: StsUser[],
    readonly roles: StsRole[] = [],
    readonly now: () => number = Date.now,
  ) {
    this.#server = createServer((req, res) => {
      void this.#handle(req, res);
    });
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.#server.close(() => {
        resolve();
      }),
    );
  }

  /** Another tool used this step's code (AWS keeps no "already used" error: the next use fails as wrong). */
  markStepUsed(serial: string, step: number): void {
    const s = this.usedSteps.get(serial) ?? new Set<number>();
    s.add(step);
    this.usedSteps.set(serial, s);
  }

  /** The next request for `action` (or '*') fails with this error. */
  failNext(action: string, status: number, code: string, message: string, times = 1): void {
    for (let i = 0; i < times; i++) this.#injected.push({ action, status, code, message });
  }

  /** Calls that carried an MFA code. */
  get mfaCalls(): StsCall[] {
    return this.calls.filter((c) => c.mfa);
  }

  get rejectedCodes(): StsCall[] {
    return this.calls.filter((c) => c.error === 'AccessDenied' && c.message === MFA_INVALID);
  }

  count(action?: string): number {
    return action === undefined ? this.calls.length : this.calls.filter((c) => c.action === action).length;
  }

  /** Revoke every issued session (their keys become unknown). */
  revokeAll(): void {
    this.issued.clear();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const params = new URLSearchParams(body.toString('utf8'));
    const action = params.get('Action') ?? '';
    const call: StsCall = {
      action,
      accessKeyId: '',
      region: '',
      mfa: params.has('SerialNumber') || params.has('TokenCode'),
      step: null,
      ok: false,
      error: null,
      message: null,
      durationSeconds: params.has('DurationSeconds') ? Number(params.get('DurationSeconds')) : null,
      sourceIdentity: params.get('SourceIdentity'),
      roleSessionName: params.get('RoleSessionName'),
      at: this.now(),
    };
    this.calls.push(call);
    const requestId = randomBytes(16)
      .toString('hex')
      .replace(/(.{8})(.{4})(.{4})(.{4})(.{12})/, '$1-$2-$3-$4-$5');
    const send = (status: number, xml: string): void => {
      res.writeHead(status, {
        'content-type': 'text/xml',
        'x-amzn-requestid': requestId,
        date: new Date(Date.now() + this.dateOffsetMs).toUTCString(),
      });
      res.end(xml);
    };
    try {
      const signer = this.#authenticate(req, body, call);
      const inj = this.#injected.findIndex((i) => i.action === action || i.action === '*');
      if (inj >= 0) {
        const [i] = this.#injected.splice(inj, 1);
        if (i!.code !== 'NetworkDrop') throw new StsFault(i!.status, i!.code, i!.message, i!.type);
        res.destroy();
        call.error = 'NetworkDrop';
        return;
      }
      let result: string;
      if (IAM_ACTIONS.has(action)) {
        result = this.#iam(action, params, signer, call);
        call.ok = true;
        send(
          200,
          `<${action}Response xmlns="${IAM_NS}">\n  <${action}Result>\n${result}  </${action}Result>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`,
        );
        return;
      }
      if (action === 'GetSessionToken') result = this.#getSessionToken(params, signer, call);
      else if (action === 'AssumeRole') result = this.#assumeRole(params, signer, call);
      else if (action === 'GetCallerIdentity') result = this.#getCallerIdentity(signer);
      else throw new StsFault(400, 'InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
      call.ok = true;
      send(
        200,
        `<${action}Response xmlns="${NS}">\n  <${action}Result>\n${result}  </${action}Result>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</${action}Response>\n`,
      );
    } catch (e) {
      const f =
        e instanceof StsFault ? e : new StsFault(500, 'InternalFailure', 'An internal error occurred', 'Receiver');
      call.error = f.code;
      call.message = f.message;
      send(
        f.status,
        `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>${f.type}</Type>\n    <Code>${f.code}</Code>\n    <Message>${esc(f.message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
      );
    }
  }

  /** SigV4: recompute the signature from the request and the key's secret. */
  #authenticate(
    req: IncomingMessage,
    body: Buffer,
    call: StsCall,
  ): { user: StsUser; session: Issued | null; accessKeyId: string } {
    const auth = req.headers.authorization ?? '';
    const m =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/(sts|iam)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(
        auth,
      );
    if (!m) throw new StsFault(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token');
    const [, akid, date, region, service, signedHeaders, signature] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    if ((service === 'iam') !== IAM_ACTIONS.has(call.action))
      throw new StsFault(403, 'SignatureDoesNotMatch', BAD_SIGNATURE);
    call.accessKeyId = akid;
    call.region = region;
    const xDate = String(req.headers['x-amz-date'] ?? '');
    if (!/^\d{8}T\d{6}Z$/.test(xDate) || !xDate.startsWith(date))
      throw new StsFault(400, 'IncompleteSignature', 'Date must be in ISO-8601 basic format');
    const t = Date.UTC(
      +xDate.slice(0, 4),
      +xDate.slice(4, 6) - 1,
      +xDate.slice(6, 8),
      +xDate.slice(9, 11),
      +xDate.slice(11, 13),
      +xDate.slice(13, 15),
    );
    const real = Date.now();
    if (Math.abs(real - t) > 15 * 60_000) {
      const cmp = t < real ? 'earlier' : 'later';
      throw new StsFault(
        403,
        'SignatureDoesNotMatch',
        `Signature expired: ${xDate} is now ${cmp} than ${amzDate(real - 15 * 60_000)} (${amzDate(real)} - 15 min.)`,
      );
    }
    let user = this.users.find((u) => u.accessKeyId === akid);
    let session: Issued | null = null;
    let secret: string;
    if (user) secret = user.secretAccessKey;
    else {
      session = this.issued.get(akid) ?? null;
      if (!session) throw new StsFault(403, 'InvalidClientTokenId', INVALID_TOKEN);
      if (req.headers['x-amz-security-token'] !== session.token)
        throw new StsFault(403, 'InvalidClientTokenId', INVALID_TOKEN);
      user = session.user;
      secret = session.secret;
    }
    const headers = signedHeaders.split(';');
    if (!headers.includes('host')) throw new StsFault(403, 'SignatureDoesNotMatch', BAD_SIGNATURE);
    const canonHeaders = headers
      .map((h) => {
        const v = req.headers[h];
        const value = Array.isArray(v) ? v.join(',') : (v ?? '');
        return `${h}:${value.trim().replace(/\s+/g, ' ')}\n`;
      })
      .join('');
    const url = new URL(req.url ?? '/', 'http://x');
    const query = [...url.searchParams]
      .map(([k, v]) => [encodeURIComponent(k), encodeURIComponent(v)])
      .sort()
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
    const payloadHash = sha256hex(body);
    const declared = req.headers['x-amz-content-sha256'];
    if (declared !== undefined && declared !== payloadHash)
      throw new StsFault(
        400,
        'XAmzContentSHA256Mismatch',
        'The provided x-amz-content-sha256 header does not match what was computed.',
      );
    const canonical = [req.method ?? 'POST', url.pathname, query, canonHeaders, signedHeaders, payloadHash].join('\n');
    const scope = `${date}/${region}/${service}/aws4_request`;
    const toSign = ['AWS4-HMAC-SHA256', xDate, scope, sha256hex(canonical)].join('\n');
    const kDate = hmac(`AWS4${secret}`, date);
    const key = hmac(hmac(hmac(kDate, region), service), 'aws4_request');
    if (createHmac('sha256', key).update(toSign).digest('hex') !== signature)
      throw new StsFault(403, 'SignatureDoesNotMatch', BAD_SIGNATURE);
    if (session && session.expires <= this.now()) throw new StsFault(400, 'ExpiredToken', EXPIRED);
    return { user, session, accessKeyId: akid };
  }

  /** Checks SerialNumber + TokenCode; marks the step used. Returns whether MFA was given. */
  #mfa(params: URLSearchParams, user: StsUser, call: StsCall): boolean {
    const serial = params.get('SerialNumber');
    const code = params.get('TokenCode');
    if (serial === null && code === null) return false;
    if (serial === null || code === null) throw new StsFault(403, 'AccessDenied', MFA_BOTH);
    if (!/^\d*$/.test(code)) {
      throw new StsFault(
        400,
        'ValidationError',
        `1 validation error detected: Value '${code}' at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*`,
      );
    }
    const enrolled = this.devices.get(serial);
    const own = serial === user.mfa.serial;
    if (!own && !(enrolled?.user === user.arn && enrolled.enabled !== null))
      throw new StsFault(403, 'AccessDenied', MFA_UNVALIDATED);
    const seed = own ? user.mfa.seed : enrolled!.seed;
    const period = (own ? (user.mfa.period ?? 30) : 30) * 1000;
    const current = Math.floor(this.now() / period);
    const used = this.usedSteps.get(serial) ?? new Set<number>();
    this.usedSteps.set(serial, used);
    for (let s = current; s >= current - this.window; s--) {
      if (refTotp(seed, s, own ? (user.mfa.digits ?? 6) : 6) === code) {
        call.step = s;
        if (used.has(s)) throw new StsFault(403, 'AccessDenied', MFA_INVALID); // reuse: the same answer as a wrong code
        used.add(s);
        return true;
      }
    }
    call.step = current;
    throw new StsFault(403, 'AccessDenied', MFA_INVALID);
  }

  /** IAM's MFA actions, as AWS answers them (two consecutive codes, each once per device, 8 devices a user). */
  #iam(
    action: string,
    params: URLSearchParams,
    signer: { user: StsUser; session: Issued | null },
    call: StsCall,
  ): string {
    const user = signer.user;
    const userName = user.arn.split('/').pop() ?? '';
    const need = (k: string): string => {
      const v = params.get(k);
      if (v === null)
        throw new StsFault(
          400,
          'ValidationError',
          `1 validation error detected: Value null at '${k}' failed to satisfy constraint: Member must not be null`,
        );
      return v;
    };
    const ownedBy = (name: string | null): void => {
      if (name !== null && name !== userName)
        throw new StsFault(
          403,
          'AccessDenied',
          `User: ${user.arn} is not authorized to perform: iam:${action} on resource: user ${name}`,
        );
    };
    const account = /:(\d{12}):/.exec(user.arn)?.[1] ?? '000000000000';
    const enabledFor = (arn: string): string[] => [
      ...(arn === user.arn ? [user.mfa.serial] : []),
      ...[...this.devices].filter(([, d]) => d.user === arn && d.enabled !== null).map(([s]) => s),
    ];
    const twoCodes = (serial: string, seed: string): void => {
      const c1 = need('AuthenticationCode1');
      const c2 = need('AuthenticationCode2');
      const current = Math.floor(this.now() / 30_000);
      const used = this.usedSteps.get(serial) ?? new Set<number>();
      this.usedSteps.set(serial, used);
      for (let s = current - 2; s <= current; s++) {
        if (used.has(s) || used.has(s + 1)) continue;
        if (refTotp(seed, s) === c1 && refTotp(seed, s + 1) === c2) {
          used.add(s);
          used.add(s + 1);
          call.step = s + 1;
          return;
        }
      }
      throw new StsFault(403, 'InvalidAuthenticationCode', 'Authentication code for device is not valid.');
    };
    switch (action) {
      case 'CreateVirtualMFADevice': {
        const name = need('VirtualMFADeviceName');
        const serial = `arn:aws:iam::${account}:mfa/${name}`;
        if (this.devices.has(serial))
          throw new StsFault(409, 'EntityAlreadyExists', 'MFADevice entity at the same path and name already exists.');
        const seed = this.nextSeed ?? bytesToBase32Ref(randomBytes(40));
        this.devices.set(serial, { name, seed, user: null, enabled: null });
        const png = Buffer.from('not a real png');
        return `    <VirtualMFADevice>\n      <SerialNumber>${esc(serial)}</SerialNumber>\n      <Base32StringSeed>${Buffer.from(seed).toString('base64')}</Base32StringSeed>\n      <QRCodePNG>${png.toString('base64')}</QRCodePNG>\n    </VirtualMFADevice>\n`;
      }
      case 'EnableMFADevice': {
        const name = need('UserName');
        ownedBy(name);
        const serial = need('SerialNumber');
        const d = this.devices.get(serial);
        if (!d) throw new StsFault(404, 'NoSuchEntity', `VirtualMFADevice with serial number ${serial} doesn't exist.`);
        if (d.user !== null) throw new StsFault(409, 'EntityAlreadyExists', 'MFA Device is already in use.');
        if (enabledFor(user.arn).length >= 8)
          throw new StsFault(409, 'LimitExceeded', 'Cannot exceed quota for MFADevicesPerUser: 8');
        twoCodes(serial, d.seed);
        d.user = user.arn;
        d.enabled = this.now();
        return '';
      }
      case 'ResyncMFADevice': {
        ownedBy(need('UserName'));
        const serial = need('SerialNumber');
        const d = this.devices.get(serial);
        if (!d || d.user !== user.arn) throw new StsFault(404, 'NoSuchEntity', 'MFA device not found.');
        twoCodes(serial, d.seed);
        return '';
      }
      case 'ListMFADevices': {
        const name = params.get('UserName');
        ownedBy(name);
        const members = enabledFor(user.arn)
          .map((serial) => {
            const at = this.devices.get(serial)?.enabled ?? Date.UTC(2026, 0, 1);
            return `      <member>\n        <UserName>${esc(userName)}</UserName>\n        <SerialNumber>${esc(serial)}</SerialNumber>\n        <EnableDate>${new Date(at).toISOString()}</EnableDate>\n      </member>\n`;
          })
          .join('');
        return `    <IsTruncated>false</IsTruncated>\n    <MFADevices>\n${members}    </MFADevices>\n`;
      }
      case 'DeactivateMFADevice': {
        ownedBy(params.get('UserName'));
        const d = this.devices.get(need('SerialNumber'));
        if (!d || d.user !== user.arn) throw new StsFault(404, 'NoSuchEntity', 'MFA device not found.');
        d.user = null;
        d.enabled = null;
        return '';
      }
      default: {
        const serial = need('SerialNumber');
        const d = this.devices.get(serial);
        if (!d) throw new StsFault(404, 'NoSuchEntity', `VirtualMFADevice with serial number ${serial} doesn't exist.`);
        if (d.user !== null) throw new StsFault(409, 'DeleteConflict', 'MFA Device is still in use.');
        this.devices.delete(serial);
        return '';
      }
    }
  }

  #duration(params: URLSearchParams, dflt: number, min = 900, max = 129_600): number {
    const raw = params.get('DurationSeconds');
    if (raw === null) return dflt;
    const d = Number(raw);
    if (!Number.isInteger(d) || d < min) {
      throw new StsFault(
        400,
        'ValidationError',
        `1 validation error detected: Value '${raw}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
      );
    }
    if (d > max) {
      throw new StsFault(
        400,
        'ValidationError',
        `1 validation error detected: Value '${raw}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
      );
    }
    return d;
  }

  #issue(
    user: StsUser,
    kind: Issued['kind'],
    seconds: number,
    mfa: boolean,
    arn: string,
    sourceIdentity: string | null,
  ): { id: string; i: Issued } {
    const id = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const i: Issued = {
      secret: randomBytes(30).toString('base64').slice(0, 40),
      token: `FwoGZXIvYXdzE${randomBytes(96).toString('base64')}`,
      expires: this.now() + seconds * 1000,
      user,
      mfa,
      arn,
      kind,
      sourceIdentity,
    };
    this.issued.set(id, i);
    return { id, i };
  }

  #creds(id: string, i: Issued): string {
    return `    <Credentials>\n      <AccessKeyId>${id}</AccessKeyId>\n      <SecretAccessKey>${esc(i.secret)}</SecretAccessKey>\n      <SessionToken>${esc(i.token)}</SessionToken>\n      <Expiration>${new Date(i.expires).toISOString()}</Expiration>\n    </Credentials>\n`;
  }

  #getSessionToken(params: URLSearchParams, signer: { user: StsUser; session: Issued | null }, call: StsCall): string {
    if (signer.session) throw new StsFault(403, 'AccessDenied', GST_WITH_SESSION);
    let d = this.#duration(params, signer.user.root ? 3600 : 43_200);
    if (signer.user.root && d > 3600) d = 3600;
    const mfa = this.#mfa(params, signer.user, call);
    const { id, i } = this.#issue(signer.user, 'session', d, mfa, signer.user.arn, null);
    return this.#creds(id, i);
  }

  #assumeRole(params: URLSearchParams, signer: { user: StsUser; session: Issued | null }, call: StsCall): string {
    const roleArn = params.get('RoleArn') ?? '';
    const name = params.get('RoleSessionName') ?? '';
    if (!/^[\w+=,.@-]{2,64}$/.test(name)) {
      throw new StsFault(
        400,
        'ValidationError',
        `1 validation error detected: Value '${name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    }
    const si = params.get('SourceIdentity');
    if (si !== null && !/^[\w+=,.@-]{2,64}$/.test(si)) {
      throw new StsFault(
        400,
        'ValidationError',
        `1 validation error detected: Value '${si}' at 'sourceIdentity' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    }
    const role = this.roles.find((r) => r.arn === roleArn);
    const principal = signer.session ? signer.session.arn : signer.user.arn;
    const denied = new StsFault(
      403,
      'AccessDenied',
      `User: ${principal} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    );
    if (!role) throw denied;
    if (role.trusted && !role.trusted.includes(signer.user.arn)) throw denied;
    const mfaNow = this.#mfa(params, signer.user, call);
    const hasMfa = mfaNow || (signer.session?.mfa ?? false);
    if (role.requireMfa && !hasMfa) throw denied;
    if (role.externalId !== undefined && params.get('ExternalId') !== role.externalId) throw denied;
    if (si !== null && role.allowSourceIdentity === false) throw denied;
    const chained = signer.session !== null;
    const d = this.#duration(params, 3600, 900, 43_200);
    if (chained && d > 3600) throw new StsFault(400, 'ValidationError', CHAINING);
    if (d > (role.maxSessionDuration ?? 3600)) throw new StsFault(400, 'ValidationError', OVER_MAX);
    const account = /:(\d{12}):/.exec(roleArn)?.[1] ?? '000000000000';
    const roleName = roleArn.split('/').pop() ?? 'role';
    const arn = `arn:aws:sts::${account}:assumed-role/${roleName}/${name}`;
    const { id, i } = this.#issue(signer.user, 'role', d, hasMfa, arn, si ?? signer.session?.sourceIdentity ?? null);
    return `${i.sourceIdentity ? `    <SourceIdentity>${esc(i.sourceIdentity)}</SourceIdentity>\n` : ''}    <AssumedRoleUser>\n      <Arn>${esc(arn)}</Arn>\n      <AssumedRoleId>AROA${randomBytes(8).toString('hex').toUpperCase()}:${esc(name)}</AssumedRoleId>\n    </AssumedRoleUser>\n${this.#creds(id, i)}    <PackedPolicySize>6</PackedPolicySize>\n`;
  }

  #getCallerIdentity(signer: { user: StsUser; session: Issued | null; accessKeyId: string }): string {
    const arn = signer.session ? signer.session.arn : signer.user.arn;
    const account = /:(\d{12}):/.exec(arn)?.[1] ?? '000000000000';
    const userId =
      signer.session?.kind === 'role'
        ? `AROA${createHash('sha1').update(arn).digest('hex').slice(0, 16).toUpperCase()}:${arn.split('/').pop() ?? ''}`
        : `AIDA${createHash('sha1').update(signer.user.arn).digest('hex').slice(0, 16).toUpperCase()}`;
    return `    <Arn>${esc(arn)}</Arn>\n    <UserId>${esc(userId)}</UserId>\n    <Account>${account}</Account>\n`;
  }
}

/** A test fixture: one user with a virtual MFA device, two roles. */
export const TEST_SEED = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
export const TEST_ACCOUNT = '123456789012';
export const TEST_SERIAL = `arn:aws:iam::${TEST_ACCOUNT}:mfa/alice-phone`;
export const TEST_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
export const TEST_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const DEPLOY_ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/deploy`;
export const ADMIN_ROLE = `arn:aws:iam::${TEST_ACCOUNT}:role/admin`;

export function testUser(period = 30): StsUser {
  return {
    arn: `arn:aws:iam::${TEST_ACCOUNT}:user/alice`,
    accessKeyId: TEST_KEY_ID,
    secretAccessKey: TEST_SECRET,
    mfa: { serial: TEST_SERIAL, seed: TEST_SEED, period },
  };
}

export function testRoles(): StsRole[] {
  return [
    { arn: DEPLOY_ROLE, maxSessionDuration: 3600, requireMfa: true },
    { arn: ADMIN_ROLE, maxSessionDuration: 43_200, requireMfa: true },
  ];
}

export async function startSts(
  opts: { period?: number; now?: () => number; users?: StsUser[]; roles?: StsRole[] } = {},
): Promise<StsServer> {
  return new StsServer(opts.users ?? [testUser(opts.period)], opts.roles ?? testRoles(), opts.now).start();
}
