// Every log record is masked before it is written: fields named like secrets at any depth (objects
// and arrays, any case or spelling), secrets inside text (URL passwords, webhook addresses, tokens),
// in the service's JSON logs and in the commands' stderr lines alike.

import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stderrLogger } from '../../src/cli/context.js';
import { asLogger, createPino } from '../../src/cli/service-logger.js';
import { REDACTED, isSecretField, redactFields, redactText } from '../../src/util/log-redaction.js';

const SECRETS = ['S3CR3T-ACCESS', 'hunter2', 'PRIVATE-KEY-PEM', 'pass-phrase-x', 'tok-123', 'refresh-456', 'hookid789', 'K7Q2-9XWD', 'api-key-000', 'lbt_abcdef', 'bearer-xyz', 'ntfytopic42'];

/** A record as a location failure might log it: secrets nested in objects and arrays. */
function record(): Record<string, unknown> {
  return {
    password: 'hunter2',
    location: {
      kind: 's3',
      settings: { bucket: 'backups', access_key_id: 'AKIAVISIBLE', endpoint: 'https://s3.example' },
      secrets: { secret_access_key: 'S3CR3T-ACCESS' },
    },
    attempts: [
      { headers: { Authorization: 'Bearer bearer-xyz' }, url: 'https://user:hunter2@dav.example/remote.php' },
      { sftp: { privateKey: 'PRIVATE-KEY-PEM', Passphrase: 'pass-phrase-x', username: 'ha' } },
      [{ ACCESS_TOKEN: 'tok-123' }, { refresh_token: 'refresh-456' }],
    ],
    notifications: { webhook_url: 'https://ha.local/api/webhook/hookid789', ntfy: 'https://ntfy.sh/ntfytopic42' },
    keyring: [{ key: 'K7Q2-9XWD', key_fingerprint: 'fp-visible' }],
    api: { apiKey: 'api-key-000', token_id: 'tid-visible' },
    note: 'made with lbt_abcdef',
    protected: true,
    error: Object.assign(new Error('PUT https://user:hunter2@dav.example/x failed'), { code: 'EAUTH' }),
  };
}

function expectMasked(text: string): void {
  for (const s of SECRETS) expect(text, `${s} leaked`).not.toContain(s);
  for (const visible of ['AKIAVISIBLE', 'fp-visible', 'tid-visible', 'backups', 'dav.example', 'user', 'EAUTH']) expect(text).toContain(visible);
}

describe('which fields are secret', () => {
  it.each([
    'secret_access_key', 'secretAccessKey', 'SECRET_ACCESS_KEY', 'secret', 'client_secret', 'private_key', 'privateKey', 'passphrase',
    'password', 'Password', 'token', 'access_token', 'refresh_token', 'webhook', 'webhook_url', 'webhookId', 'key', 'api_key', 'apiKey',
    'encryption_key', 'authorization', 'ntfy_url',
  ])('%s is secret', (name) => expect(isSecretField(name)).toBe(true));

  it.each(['access_key_id', 'accessKeyId', 'key_fingerprint', 'token_id', 'name', 'protected', 'agent_id', 'password_file', 'bucket', 'username'])(
    '%s is not secret',
    (name) => expect(isSecretField(name)).toBe(false),
  );
});

describe('redaction of a record', () => {
  it('masks secret fields at any depth, in objects and arrays, and secrets inside text', () => {
    const out = redactFields(record());
    expectMasked(JSON.stringify(out));
    expect(out.location).toMatchObject({ secrets: REDACTED, settings: { access_key_id: 'AKIAVISIBLE' } });
    expect(out.attempts).toMatchObject([{}, { sftp: { privateKey: REDACTED, Passphrase: REDACTED, username: 'ha' } }, [{ ACCESS_TOKEN: REDACTED }, {}]]);
    expect(out.protected).toBe(true);
  });

  it('masks URL passwords, webhook and ntfy addresses, secret query parameters and tokens in text', () => {
    expect(redactText('GET https://ha:p@ss@example.com/x?agent_id=backup.local&password=K7Q2-9XWD')).toBe(
      `GET https://ha:${REDACTED}@example.com/x?agent_id=backup.local&password=${REDACTED}`,
    );
    expect(redactText('posted to https://ha.local/api/webhook/abc123 and https://ntfy.sh/mytopic')).toBe(
      `posted to https://ha.local/api/webhook/${REDACTED} and https://ntfy.sh/${REDACTED}`,
    );
    expect(redactText('Authorization: Bearer abc.def')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactText('sftp://ha@nas:22/backups is fine')).toBe('sftp://ha@nas:22/backups is fine');
  });

  it('survives circular records', () => {
    const a: Record<string, unknown> = { password: 'hunter2' };
    a.self = a;
    expect(JSON.stringify(redactFields(a))).toBe(`{"password":"${REDACTED}","self":"[Circular]"}`);
  });
});

describe('every log record goes through it', () => {
  afterEach(() => vi.restoreAllMocks());

  it("the service's JSON logs: fields nested at any depth and the message", async () => {
    const sink = new PassThrough();
    const lines: string[] = [];
    sink.on('data', (b: Buffer) => lines.push(...b.toString('utf8').split('\n').filter(Boolean)));
    const pino = createPino({ destination: sink });
    asLogger(pino).warn('Upload to https://user:hunter2@dav.example/x failed', record());
    pino.error(record(), 'direct call with token lbt_abcdef');
    pino.child({ secrets: { password: 'hunter2' } }).info('child logger');
    await new Promise((r) => setImmediate(r));
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    for (const s of SECRETS) expect(lines.join('\n'), `${s} leaked`).not.toContain(s);
    expectMasked(lines[0] as string);
  });

  it("the commands' stderr lines", () => {
    const written: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const log = stderrLogger(true);
    log.warn('Could not reach https://user:hunter2@dav.example', record());
    log.info('verbose', { nested: { deeper: [{ secret: 'S3CR3T-ACCESS' }] } });
    vi.restoreAllMocks();
    expect(written).toHaveLength(2);
    expectMasked(written[0] as string);
    for (const s of SECRETS) expect(written.join(''), `${s} leaked`).not.toContain(s);
  });
});
