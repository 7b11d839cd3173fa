// The one redaction every log record goes through before it is written (the service's pino logger
// and the commands' stderr logger): a field named like a secret — at any depth, in objects and
// arrays, whatever its case or spelling (`password`, `secretAccessKey`, `private_key`, `token`,
// `webhook_url`, `key` …) — has its value replaced, and secrets inside text (a password in a URL,
// a webhook or ntfy address, a secret query parameter, a bearer or Lifeboat token) are masked
// wherever they appear, messages included. Identifiers of secrets (`access_key_id`, `token_id`,
// `key_fingerprint`) stay readable.

import { REDACTED } from './redacted.js';

export { REDACTED };

/** Words that make a field secret wherever they appear in its name. */
const SECRET_WORDS = new Set(['password', 'passwords', 'passwd', 'passphrase', 'secret', 'secrets', 'token', 'tokens', 'authorization', 'cookie', 'credential', 'credentials', 'webhook', 'ntfy']);
/** Pairs of words that make a field secret (`private_key`, `apiKey`, `encryption_key`, `secret_key`). */
const SECRET_KEY_KINDS = new Set(['private', 'api', 'encryption', 'secret', 'signing', 'master', 'ssh']);
/** A last word that names something about a secret, not the secret (`token_id`, `key_fingerprint`). */
const ABOUT_A_SECRET = new Set(['id', 'ids', 'fingerprint', 'fingerprints', 'configured', 'set', 'file', 'path', 'expires', 'expiry']);
/** Words that make a field secret even when the last word is one of those (a webhook id is its secret). */
const ALWAYS_SECRET = new Set(['webhook', 'ntfy']);

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Whether a field of this name holds a secret (case and separators do not matter). */
export function isSecretField(name: string): boolean {
  const w = words(name);
  if (w.length === 0) return false;
  if (w.some((x) => ALWAYS_SECRET.has(x) || x.startsWith('webhook'))) return true;
  if (w.length === 1 && (w[0] === 'key' || w[0] === 'keys')) return true;
  if (ABOUT_A_SECRET.has(w[w.length - 1] as string)) return false;
  if (w.some((x) => SECRET_WORDS.has(x) || x.startsWith('secret') || x.startsWith('password'))) return true;
  for (let i = 0; i + 1 < w.length; i++) if (SECRET_KEY_KINDS.has(w[i] as string) && w[i + 1] === 'key') return true;
  return w.some((x) => x === 'apikey' || x === 'privatekey' || x === 'secretkey');
}

const TEXT_RULES: [RegExp, string][] = [
  // scheme://user:password@host — the password goes, the user stays.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:"']*):[^\s/?#"']*@/gi, `$1:${REDACTED}@`],
  // Webhook addresses: everything after /webhook/ (Home Assistant), /webhooks/ (Discord) …
  [/(\/webhooks?\/)[^\s?#"']+/gi, `$1${REDACTED}`],
  [/(hooks\.slack\.com\/)[^\s?#"']+/gi, `$1${REDACTED}`],
  // ntfy topics are their own secret.
  [/(\bntfy\.[a-z0-9.-]+\/)[^\s?#"']+/gi, `$1${REDACTED}`],
  // Query parameters named like secrets.
  [/([?&][^=&\s"']*(?:token|secret|password|passwd|key|sig|signature|auth|credential)[^=&\s"']*=)[^&\s#"']+/gi, `$1${REDACTED}`],
  [/\b(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, `$1${REDACTED}`],
  // Lifeboat's API tokens.
  [/\blbt_[A-Za-z0-9_-]+/g, REDACTED],
];

/** Masks the secrets text can carry (URL passwords, webhook and ntfy addresses, tokens). */
export function redactText(text: string): string {
  let out = text;
  for (const [re, replacement] of TEXT_RULES) out = out.replace(re, replacement);
  return out;
}

const MAX_DEPTH = 12;

function redactValue(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Too deep]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((v) => redactValue(v, seen, depth + 1));
    if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
    if (value instanceof Date) return value;
    if (value instanceof Error) {
      const e = value as NodeJS.ErrnoException;
      const out: Record<string, unknown> = { type: e.name, message: redactText(e.message) };
      if (e.code !== undefined) out.code = e.code;
      if (e.stack) out.stack = redactText(e.stack);
      return { ...out, ...redactEntries(Object.fromEntries(Object.entries(e)), seen, depth + 1) };
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) {
      // A class instance (a URL, a Map …): what it says about itself, masked.
      return redactText(String(value));
    }
    return redactEntries(value as Record<string, unknown>, seen, depth + 1);
  } finally {
    seen.delete(value);
  }
}

function redactEntries(fields: Record<string, unknown>, seen: WeakSet<object>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    const keepAsIs = value === null || value === undefined || typeof value === 'boolean';
    out[key] = isSecretField(key) && !keepAsIs ? REDACTED : redactValue(value, seen, depth);
  }
  return out;
}

/** A copy of a log record's fields with every secret masked, at any depth. */
export function redactFields(fields: Record<string, unknown>): Record<string, unknown> {
  return redactValue(fields, new WeakSet(), 0) as Record<string, unknown>;
}
