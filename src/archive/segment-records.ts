// The segment cache's index in memory, compact: one 44-byte record per segment (its 32-byte key,
// where its entry lies in the pack and how long it is) in one growing buffer, found through an
// open-addressing table of record numbers (4 bytes a slot, at most half full) placed by the key's
// first four bytes — SHA-256 digests are evenly spread — and confirmed by the whole key. About 60
// bytes a segment and no object per segment, so a 4 GiB installation's tens of thousands of
// segments take a few MiB and nothing for the collector to trace.

export const RECORD = 32 + 8 + 4;
const KEY = 32;
const MIN_SLOTS = 1024;

export interface Located {
  offset: number;
  size: number;
}

export interface SegmentRecord extends Located {
  key: Buffer;
}

/** Slots for `count` records at most half full: a power of two. */
function slotsFor(count: number): number {
  let slots = MIN_SLOTS;
  while (slots < count * 2) slots *= 2;
  return slots;
}

export class SegmentRecords {
  /** Records in the order they were added; only the first `count` are in use. */
  private bytes: Buffer;
  private count = 0;
  /** Record number + 1 per slot (0: empty). */
  private slots: Uint32Array;

  /** Room for `capacity` records before the table grows; `bytes`: records to take over (see from()). */
  constructor(capacity = 1024, bytes?: Buffer) {
    // Not zeroed: only records already written are ever read, so untouched room costs no memory.
    this.bytes = bytes ?? Buffer.allocUnsafe(Math.max(1, capacity) * RECORD);
    this.slots = new Uint32Array(slotsFor(capacity));
  }

  /**
   * Records as an index file holds them (whole records only; a key seen twice keeps its first).
   * The table takes `records` over and keeps them where they are, the ones it keeps moved up over
   * the ones it drops: a large index is not copied.
   */
  static from(records: Buffer): SegmentRecords {
    const whole = Math.floor(records.length / RECORD);
    const table = new SegmentRecords(Math.max(1, whole), whole ? records : undefined); // not less than one record's room
    for (let record = 0; record < whole; record++) {
      const at = record * RECORD;
      if (table.slotOf(records.subarray(at, at + KEY)) >= 0) continue;
      const to = table.count * RECORD; // at or before `at`: only records already kept lie before it
      if (to !== at) records.copyWithin(to, at, at + RECORD);
      table.place(records.subarray(to, to + KEY), table.count++);
    }
    return table;
  }

  get size(): number {
    return this.count;
  }

  /** Adds a record unless its key is there already; false when it was not added. */
  add(key: Uint8Array, offset: number, size: number): boolean {
    if (this.slotOf(key) >= 0) return false;
    if ((this.count + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    if ((this.count + 1) * RECORD > this.bytes.length) {
      const grown = Buffer.allocUnsafe(this.bytes.length * 2);
      this.bytes.copy(grown, 0, 0, this.count * RECORD);
      this.bytes = grown;
    }
    const at = this.count * RECORD;
    this.bytes.set(key.subarray(0, KEY), at);
    this.bytes.writeBigUInt64LE(BigInt(offset), at + KEY);
    this.bytes.writeUInt32LE(size, at + KEY + 8);
    this.place(key, this.count++);
    return true;
  }

  find(key: Uint8Array): Located | null {
    const slot = this.slotOf(key);
    if (slot < 0) return null;
    const at = ((this.slots[slot] as number) - 1) * RECORD;
    return { offset: this.offsetAt(at), size: this.sizeAt(at) };
  }

  /** Where the recorded entries end (the bytes of the pack they use) and the size of the largest. */
  bounds(): { end: number; largest: number } {
    let end = 0;
    let largest = 0;
    for (let at = 0; at < this.count * RECORD; at += RECORD) {
      end = Math.max(end, this.offsetAt(at) + this.sizeAt(at));
      largest = Math.max(largest, this.sizeAt(at));
    }
    return { end, largest };
  }

  /** Record number `record` (0 for the first added; the key is a view: copy it to keep it). */
  record(record: number): SegmentRecord {
    const at = record * RECORD;
    return { key: this.bytes.subarray(at, at + KEY), offset: this.offsetAt(at), size: this.sizeAt(at) };
  }

  /** The record numbers in the order their entries lie in the pack. */
  inPackOrder(): Uint32Array {
    const offsets = new Float64Array(this.count);
    for (let record = 0; record < this.count; record++) offsets[record] = this.offsetAt(record * RECORD);
    return Uint32Array.from({ length: this.count }, (_, record) => record).sort((a, b) => (offsets[a] as number) - (offsets[b] as number));
  }

  /** The records, as an index file holds them. */
  encode(): Buffer {
    return this.bytes.subarray(0, this.count * RECORD);
  }

  /** The pack offset of the record at byte `at`. */
  private offsetAt(at: number): number {
    return Number(this.bytes.readBigUInt64LE(at + KEY));
  }

  /** The entry size of the record at byte `at`. */
  private sizeAt(at: number): number {
    return this.bytes.readUInt32LE(at + KEY + 8);
  }

  private start(key: Uint8Array): number {
    const h = ((key[0] as number) | ((key[1] as number) << 8) | ((key[2] as number) << 16) | ((key[3] as number) << 24)) >>> 0;
    return h & (this.slots.length - 1);
  }

  /** The slot holding `key`'s record, or -1. */
  private slotOf(key: Uint8Array): number {
    if (key.length < KEY) return -1;
    const mask = this.slots.length - 1;
    for (let slot = this.start(key); ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] as number;
      if (entry === 0) return -1;
      if (this.keyAt(entry - 1, key)) return slot;
    }
  }

  private keyAt(record: number, key: Uint8Array): boolean {
    const at = record * RECORD;
    for (let i = 0; i < KEY; i++) if (this.bytes[at + i] !== key[i]) return false;
    return true;
  }

  private place(key: Uint8Array, record: number): void {
    const mask = this.slots.length - 1;
    let slot = this.start(key);
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = record + 1;
  }

  private rehash(slots: number): void {
    this.slots = new Uint32Array(slots);
    for (let record = 0; record < this.count; record++) {
      const at = record * RECORD;
      this.place(this.bytes.subarray(at, at + KEY), record);
    }
  }
}
