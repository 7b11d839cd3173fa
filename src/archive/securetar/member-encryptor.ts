// Encryption of the inner members of one archive: one root context per archive (v3: a single
// Argon2id run), fresh per-member parameters, memoised by member index so that the same archive
// encrypted again yields identical bytes (agents may re-open an upload stream).

import { encryptedMemberSize, V2_HEADER_SIZE, V3_HEADER_SIZE } from './securetar-header.js';
import { encryptV2, v2Header, v2Params, type V2Params } from './securetar-v2.js';
import {
  createV3RootContext,
  encryptV3,
  newV3MemberParams,
  v3Header,
  type V3MemberParams,
  type V3RootContext,
} from './securetar-v3.js';

export interface MemberEncryptor {
  readonly version: 2 | 3;
  readonly headerSize: number;
  header(plaintextSize: number): Buffer;
  /** Encrypts a plaintext stream; each chunk is used up (and released) before the next is asked for. */
  encrypt(plain: AsyncIterable<Buffer>): AsyncIterable<Buffer>;
  memberSize(plaintextSize: number): number;
}

export interface ArchiveEncryptor {
  readonly version: 2 | 3;
  forMember(index: number): Promise<MemberEncryptor>;
}

export async function createArchiveEncryptor(password: string, version: 2 | 3 = 3): Promise<ArchiveEncryptor> {
  if (version === 2) {
    const params = new Map<number, V2Params>();
    return {
      version,
      async forMember(index) {
        let p = params.get(index);
        if (!p) params.set(index, (p = v2Params(password)));
        const fixed = p;
        return {
          version: 2,
          headerSize: V2_HEADER_SIZE,
          header: (size) => v2Header(fixed, size),
          encrypt: (plain) => encryptV2(plain, fixed),
          memberSize: (size) => encryptedMemberSize(2, size),
        };
      },
    };
  }
  const root: V3RootContext = await createV3RootContext(password);
  const params = new Map<number, V3MemberParams>();
  return {
    version,
    async forMember(index) {
      let p = params.get(index);
      if (!p) params.set(index, (p = await newV3MemberParams()));
      const fixed = p;
      return {
        version: 3,
        headerSize: V3_HEADER_SIZE,
        header: (size) => v3Header(root, fixed, size),
        encrypt: (plain) => encryptV3(plain, root, fixed),
        memberSize: (size) => encryptedMemberSize(3, size),
      };
    },
  };
}
