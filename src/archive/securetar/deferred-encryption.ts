// Encryption whose key is still being derived (Argon2id takes a fifth of a second): the plaintext
// is gathered meanwhile — copied, in case its producer reuses its buffers, and each chunk then
// released (owned-chunks.ts) — so that reading and compressing go on; once the key is there, the
// gathered plaintext and the rest are encrypted.

import type { MemberEncryptor } from './member-encryptor.js';
import { release } from '../../util/owned-chunks.js';

export async function* encryptWhenReady(
  member: Promise<MemberEncryptor>,
  plain: AsyncIterable<Buffer>,
  maxGathered: number,
): AsyncGenerator<Buffer> {
  const it = plain[Symbol.asyncIterator]();
  const key: { ready: MemberEncryptor | null } = { ready: null };
  const keyReady = member.then((m) => {
    key.ready = m;
    return null;
  });
  const gathered: Buffer[] = [];
  let gatheredBytes = 0;
  let pending: Promise<IteratorResult<Buffer>> | null = null;
  let ended = false;
  let finished = false;
  try {
    while (!key.ready && gatheredBytes < maxGathered) {
      pending ??= it.next();
      const r = await Promise.race([pending, keyReady]);
      if (r === null) break; // the key is ready; `pending` may still be under way
      pending = null;
      if (r.done) {
        ended = true;
        break;
      }
      gathered.push(Buffer.from(r.value));
      gatheredBytes += r.value.length;
      release(r.value); // copied: it reads as empty from here on
    }
    const encryptor = await member;
    async function* rest(): AsyncGenerator<Buffer> {
      while (gathered.length) yield gathered.shift() as Buffer;
      if (ended) return;
      for (;;) {
        const r = await (pending ?? it.next());
        pending = null;
        if (r.done) return;
        yield r.value;
      }
    }
    yield* encryptor.encrypt(rest());
    finished = true;
  } finally {
    if (!finished && !ended) await it.return?.();
  }
}
