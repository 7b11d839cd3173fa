// The segment cache's index in memory, compact: one 44-byte record per segment (its 32-byte key,
// where its entry lies in the pack and how long it is) in one growing buffer, found by the first
// six bytes of the key — SHA-256 digests are evenly spread, so six bytes tell tens of thousands of
// segments apart; a record whose full key differs is not found. About 60 bytes a segment in all,
// so a 4 GiB installation's tens of thousands of segments take a few MiB, not tens.

export const RECORD = 32 + 8 + 4;

export interface Located {
  offset: number;
  size: number;
}

function prefix(key: Uint8Array, at = 0): number {
  let n = 0;
  for (let i = 0; i < 6; i++) n = n * 256 + (key[at + i] as number);
  return n;
}

export class SegmentRecords {
  private bytes: Buffer;
  private count = 0;
  private readonly byPrefix = new Map<number, number>();

  constructor(capacity = 1024) {
    this.bytes = Buffer.alloc(capacity * RECORD);
  }

  /** Records as an index file holds them (whole records only; a key seen twice keeps its first). */
  static from(records: Buffer): SegmentRecords {
    const table = new SegmentRecords(Math.max(1, Math.floor(records.length / RECORD)));
    for (let at = 0; at + RECORD <= records.length; at += RECORD) {
      table.add(records.subarray(at, at + 32), Number(records.readBigUInt64LE(at + 32)), records.readUInt32LE(at + 40));
    }
    return table;
  }

  get size(): number {
    return this.count;
  }

  has(key: Uint8Array): boolean {
    return this.find(key) !== null;
  }

  /** Adds a record unless one with the same six-byte prefix is there; false when it was not added. */
  add(key: Uint8Array, offset: number, size: number): boolean {
    const p = prefix(key);
    if (this.byPrefix.has(p)) return false;
    if ((this.count + 1) * RECORD > this.bytes.length) {
      const grown = Buffer.alloc(this.bytes.length * 2);
      this.bytes.copy(grown);
      this.bytes = grown;
    }
    const at = this.count * RECORD;
    this.bytes.set(key.subarray(0, 32), at);
    this.bytes.writeBigUInt64LE(BigInt(offset), at + 32);
    this.bytes.writeUInt32LE(size, at + 40);
    this.byPrefix.set(p, this.count++);
    return true;
  }

  find(key: Uint8Array): Located | null {
    const index = this.byPrefix.get(prefix(key));
    if (index === undefined) return null;
    const at = index * RECORD;
    if (!this.bytes.subarray(at, at + 32).equals(key)) return null;
    return { offset: Number(this.bytes.readBigUInt64LE(at + 32)), size: this.bytes.readUInt32LE(at + 40) };
  }

  /** The records, as an index file holds them. */
  encode(): Buffer {
    return this.bytes.subarray(0, this.count * RECORD);
  }
}
