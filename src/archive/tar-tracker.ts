// Follows a tar byte stream as it goes by (pushed chunk by chunk, never held) and notes each member
// with where its header and its data start in the stream — what an archive index records. It runs
// beside the pipeline that produces or consumes the tar (the writer's gzip input, a reader's
// inflater output) without copying the data: only headers and extended headers are gathered.

import { entryFacts, type TarEntryFacts } from './inner-tar-reader.js';
import { INNER_EXTENDED_LIMITS } from './archive-limits.js';
import { BLOCK, TarHeaders, isZeroBlock, padTo512 } from './tar-header.js';

/** One member of the tar stream and where it lies in it. */
export interface TrackedEntry extends TarEntryFacts {
  /** Offset of the member's own header block (after any extended headers). */
  headerOffset: number;
  /** Offset of its first data byte. */
  dataOffset: number;
}

export class TarTracker {
  private readonly headers = new TarHeaders({ where: 'the inner tar archive', lenientMtime: true, limits: INNER_EXTENDED_LIMITS });
  private readonly header = Buffer.alloc(BLOCK);
  private headerFill = 0;
  private extended: Buffer | null = null;
  private extendedFill = 0;
  private skip = 0;
  /** Bytes of the stream seen so far. */
  offset = 0;

  constructor(private readonly onEntry: (entry: TrackedEntry) => void) {}

  push(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        this.offset += n;
        continue;
      }
      if (this.extended) {
        const n = Math.min(this.extended.length - this.extendedFill, chunk.length - at);
        this.extended.set(chunk.subarray(at, at + n), this.extendedFill);
        this.extendedFill += n;
        at += n;
        this.offset += n;
        if (this.extendedFill === this.extended.length) {
          this.headers.extended(this.extended);
          this.skip = padTo512(this.extended.length) - this.extended.length;
          this.extended = null;
        }
        continue;
      }
      const n = Math.min(BLOCK - this.headerFill, chunk.length - at);
      this.header.set(chunk.subarray(at, at + n), this.headerFill);
      this.headerFill += n;
      at += n;
      this.offset += n;
      if (this.headerFill < BLOCK) continue;
      this.headerFill = 0;
      if (isZeroBlock(this.header)) continue;
      const step = this.headers.block(this.header);
      if (step.kind === 'extended') {
        this.extended = Buffer.alloc(step.size);
        this.extendedFill = 0;
        if (step.size === 0) {
          this.headers.extended(this.extended);
          this.extended = null;
        }
        continue;
      }
      const facts = entryFacts(step.header);
      this.onEntry({ ...facts, headerOffset: this.offset - BLOCK, dataOffset: this.offset });
      this.skip = padTo512(facts.size);
    }
  }
}
