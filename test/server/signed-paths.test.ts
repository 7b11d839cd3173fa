// Signed download links (auth/sign_path): a browser streams a backup to disk without the token in
// the URL; the link works for that exact path only, for its token only, once, not after it
// expires, and never longer than MAX_SIGNED_SECONDS; used signatures are forgotten at expiry.
import { describe, expect, it } from 'vitest';
import { MAX_SIGNED_SECONDS, PathSigner } from '../../src/server/signed-paths.js';

describe('signed paths', () => {
  it('accepts the signed path, with its query in any order, for the token it was signed for', () => {
    const signer = new PathSigner(() => 1_000_000);
    const signed = signer.sign('/api/backup/download/abcd1234?agent_id=backup.local&decrypt=1', 'tok1');
    expect(signed).toMatch(/^\/api\/backup\/download\/abcd1234\?agent_id=backup\.local&decrypt=1&authSig=/);
    const reordered = signed.replace('agent_id=backup.local&decrypt=1', 'decrypt=1&agent_id=backup.local');
    expect(signer.redeem(reordered)).toBe('tok1');
  });

  it('refuses a changed path or query, a forged signature, another server and an expired link', () => {
    let now = 1_000_000;
    const signer = new PathSigner(() => now);
    const signed = signer.sign('/api/backup/download/abcd1234?agent_id=backup.local', 'tok1', 30);
    expect(signer.redeem(signed.replace('abcd1234', 'ffff0000'))).toBeNull();
    expect(signer.redeem(signed.replace('agent_id=backup.local', 'agent_id=s3.other'))).toBeNull();
    expect(signer.redeem(`${signed}&password=added`)).toBeNull();
    expect(signer.redeem(signed.replace('tok1.', 'tok2.'))).toBeNull();
    expect(new PathSigner(() => now).redeem(signed)).toBeNull();
    now += 31_000;
    expect(signer.redeem(signed)).toBeNull();
  });

  it('accepts a link once: the same signature a second time is refused', () => {
    const signer = new PathSigner(() => 1_000_000);
    const signed = signer.sign('/api/backup/download/abcd1234?agent_id=backup.local', 'tok1');
    expect(signer.redeem(signed)).toBe('tok1');
    expect(signer.redeem(signed)).toBeNull();
    // The same path signed again is a new link.
    expect(signer.redeem(signer.sign('/api/backup/download/abcd1234?agent_id=backup.local', 'tok1', 29))).toBe('tok1');
  });

  it('keeps links short-lived whatever is asked, and forgets used signatures once they expired', () => {
    let now = 1_000_000;
    const signer = new PathSigner(() => now);
    const long = signer.sign('/api/backup/download/abcd1234?agent_id=backup.local', 'tok1', 3600);
    const expires = Number(decodeURIComponent(long.split('authSig=')[1] as string).split('.')[1]);
    expect(expires - now / 1000).toBeLessThanOrEqual(MAX_SIGNED_SECONDS);
    for (let i = 0; i < 50; i++) expect(signer.redeem(signer.sign(`/api/backup/download/abcd${1000 + i}?agent_id=backup.local`, 'tok1', 10))).toBe('tok1');
    expect(signer.usedCount).toBe(50);
    now += 11_000;
    expect(signer.usedCount).toBe(0);
  });
});
