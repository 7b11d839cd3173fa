// Signed paths (Home Assistant's `auth/sign_path`): a short-lived URL for one GET, bound to the
// token that asked for it, so a browser can stream a large download straight to disk without
// holding it in memory or putting the token itself in a URL. Signatures are HMAC-SHA256 with a key
// that lives only in this server process.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_PARAM = 'authSig';

/** A path with its query in one canonical form (what is signed and what is checked). */
function canonical(url: URL): string {
  url.searchParams.delete(SIGNATURE_PARAM);
  url.searchParams.sort();
  const query = url.searchParams.toString();
  return `${url.pathname}${query ? `?${query}` : ''}`;
}

export class PathSigner {
  private readonly key = randomBytes(32);

  constructor(private readonly now: () => number = Date.now) {}

  private mac(tokenId: string, path: string, expires: number): Buffer {
    return createHmac('sha256', this.key).update(`${tokenId}\n${expires}\n${path}`).digest();
  }

  /** The path with a signature valid for `seconds` (query parameters included in what is signed). */
  sign(path: string, tokenId: string, seconds = 30): string {
    const expires = Math.floor(this.now() / 1000) + Math.max(1, Math.min(seconds, 3600));
    const signed = canonical(new URL(path, 'http://local'));
    const sig = `${tokenId}.${expires}.${this.mac(tokenId, signed, expires).toString('base64url')}`;
    return `${signed}${signed.includes('?') ? '&' : '?'}${SIGNATURE_PARAM}=${encodeURIComponent(sig)}`;
  }

  /** The token id a signed URL was issued to, or null when the signature is wrong or expired. */
  verify(url: string): string | null {
    const parsed = new URL(url, 'http://local');
    const sig = parsed.searchParams.get(SIGNATURE_PARAM);
    if (!sig) return null;
    const [tokenId, expiresText, macText] = sig.split('.');
    const expires = Number(expiresText);
    if (!tokenId || !macText || !Number.isInteger(expires) || expires * 1000 < this.now()) return null;
    const path = canonical(parsed);
    const expected = this.mac(tokenId, path, expires);
    const given = Buffer.from(macText, 'base64url');
    return given.length === expected.length && timingSafeEqual(given, expected) ? tokenId : null;
  }
}
