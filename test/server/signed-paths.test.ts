// Signed download links (auth/sign_path): a browser streams a backup to disk without the token in
// the URL; the link works for that exact path only, for its token only, and not after it expires.
import { describe, expect, it } from 'vitest';
import { PathSigner } from '../../src/server/signed-paths.js';

describe('signed paths', () => {
  it('accepts the signed path, with its query in any order, for the token it was signed for', () => {
    const signer = new PathSigner(() => 1_000_000);
    const signed = signer.sign('/api/backup/download/abcd1234?agent_id=backup.local&password=K', 'tok1');
    expect(signed).toMatch(/^\/api\/backup\/download\/abcd1234\?agent_id=backup\.local&password=K&authSig=/);
    expect(signer.verify(signed)).toBe('tok1');
    const reordered = signed.replace('agent_id=backup.local&password=K', 'password=K&agent_id=backup.local');
    expect(signer.verify(reordered)).toBe('tok1');
  });

  it('refuses a changed path or query, a forged signature, another server and an expired link', () => {
    let now = 1_000_000;
    const signer = new PathSigner(() => now);
    const signed = signer.sign('/api/backup/download/abcd1234?agent_id=backup.local', 'tok1', 30);
    expect(signer.verify(signed.replace('abcd1234', 'ffff0000'))).toBeNull();
    expect(signer.verify(signed.replace('agent_id=backup.local', 'agent_id=s3.other'))).toBeNull();
    expect(signer.verify(`${signed}&password=added`)).toBeNull();
    expect(signer.verify(signed.replace('tok1.', 'tok2.'))).toBeNull();
    expect(new PathSigner(() => now).verify(signed)).toBeNull();
    now += 31_000;
    expect(signer.verify(signed)).toBeNull();
  });
});
