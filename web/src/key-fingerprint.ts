// The short fingerprint of an encryption key, computed as the server does (the first 8 hex
// digits of SHA-256 over "lifeboat-key-fingerprint\0" + key, as xxxx-xxxx). Only in secure
// contexts (https or localhost), where the browser offers SubtleCrypto; elsewhere null.

export async function keyFingerprint(key: string): Promise<string | null> {
  if (!globalThis.crypto?.subtle) return null;
  const data = new TextEncoder().encode(`lifeboat-key-fingerprint\u0000${key}`);
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  const hex = [...digest.slice(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 4)}-${hex.slice(4, 8)}`;
}
