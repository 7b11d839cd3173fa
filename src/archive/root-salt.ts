// The SecureTar v3 root salt of a backup's Home Assistant archive, read from the outer tar's
// headers and the archive's first bytes only, without the backup reader's checks or its modules:
// all a restore needs to begin deriving the archive's key while the rest of the program loads.

import { FileByteSource } from './byte-source.js';
import { HOME_ASSISTANT_ARCHIVES, indexOuterTar, normaliseMemberName } from './outer-tar.js';
import { V3_HEADER_SIZE, hasMagic, parseCommonHeader } from './securetar/securetar-header.js';
import { parseV3Fields } from './securetar/securetar-v3.js';

/** The root salt of `file`'s Home Assistant archive when it is SecureTar v3, else null. */
export async function homeAssistantRootSalt(file: string): Promise<Buffer | null> {
  const src = await FileByteSource.open(file);
  try {
    const members = (await indexOuterTar(src)).filter((m) => m.type === '0');
    for (const name of HOME_ASSISTANT_ARCHIVES) {
      const member = members.find((m) => normaliseMemberName(m.name) === name);
      if (!member) continue;
      if (member.size < V3_HEADER_SIZE) return null;
      const head = await src.read(member.dataOffset, V3_HEADER_SIZE);
      return hasMagic(head) && parseCommonHeader(head).version === 3 ? Buffer.from(parseV3Fields(head).rootSalt) : null;
    }
    return null;
  } finally {
    await src.close();
  }
}
