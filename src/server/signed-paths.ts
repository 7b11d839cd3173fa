// Signed paths (Home Assistant's `auth/sign_path`): a short-lived URL for one GET, bound to the
// token that asked for it, so a browser can stream a large download straight to disk without
// holding it in memory or putting the token itself in a URL. Signatures are HMAC-SHA256 with a key
// that lives only in this server process. A link works once: its signature is remembered until it
// expires (at most MAX_SIGNED_SECONDS), so a link copied from a history or a log cannot be replayed;
// the set of used signatures is pruned at expiry and capped (when full, links are refused).

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_PARAM = 'authSig';
/** The longest a signed link lives, whatever the client asks for. */
export const MAX_SIGNED_SECONDS = 300;
/** How many used, unexpired signatures are remembered at most. */
const MAX_USED = 10_000;

/** A path with its query in one canonical form (what is signed and what is checked). */
function canonical(url: URL): string {
  url.searchParams.delete(SIGNATURE_PARAM);
  url.searchParams.sort();
  const query = url.searchParams.toString();
  return `${url.pathname}${query ? `?${query}` : ''}`;
}

export class PathSigner {
  private readonly key = randomBytes(32);
  /** Used signatures (their MAC) → when they expire, in seconds. */
  private readonly used = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  private mac(tokenId: string, path: string, expires: number): Buffer {
    return createHmac('sha256', this.key).update(`${tokenId}\n${expires}\n${path}`).digest();
  }

  /** The path with a signature valid for `seconds`, at most MAX_SIGNED_SECONDS (query parameters included in what is signed). */
  sign(path: string, tokenId: string, seconds = 30): string {
    const expires = Math.floor(this.now() / 1000) + Math.max(1, Math.min(seconds, MAX_SIGNED_SECONDS));
    const signed = canonical(new URL(path, 'http://local'));
    const sig = `${tokenId}.${expires}.${this.mac(tokenId, signed, expires).toString('base64url')}`;
    return `${signed}${signed.includes('?') ? '&' : '?'}${SIGNATURE_PARAM}=${encodeURIComponent(sig)}`;
  }

  /**
   * Uses a signed URL: the token id it was issued to, or null when the signature is wrong, expired
   * or already used.
   */
  redeem(url: string): string | null {
    const parsed = new URL(url, 'http://local');
    const sig = parsed.searchParams.get(SIGNATURE_PARAM);
    if (!sig) return null;
    const [tokenId, expiresText, macText] = sig.split('.');
    const expires = Number(expiresText);
    if (!tokenId || !macText || !Number.isInteger(expires) || expires * 1000 < this.now()) return null;
    const path = canonical(parsed);
    const expected = this.mac(tokenId, path, expires);
    const given = Buffer.from(macText, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    this.prune();
    const id = expected.toString('base64url');
    if (this.used.has(id) || this.used.size >= MAX_USED) return null;
    this.used.set(id, expires);
    return tokenId;
  }

  /** How many used signatures are remembered now (they are forgotten when they expire). */
  get usedCount(): number {
    this.prune();
    return this.used.size;
  }

  private prune(): void {
    const nowSeconds = this.now() / 1000;
    for (const [id, expires] of this.used) if (expires < nowSeconds) this.used.delete(id);
  }
}
