// Which stretches of the inner tar stream are compressed as reusable segments: the content of
// every file of at least MIN_SEGMENTED_SIZE, cut at fixed offsets from the file's first byte. A
// segment's deflate data then depends only on its own bytes and the 32 KiB before it in the same
// file — not on tar headers, other files or where the file sits in the stream — so the next backup
// can take it from the segment cache when those bytes are the same.

export const SEGMENT_SIZE = 64 * 1024;
/** Smaller files travel in the ordinary blocks: a segment of their own would compress worse. */
export const MIN_SEGMENTED_SIZE = 128 * 1024;
const COMPACT_AFTER = 1024;

/** A file's content in the tar stream: [start, end). */
export interface Region {
  start: number;
  end: number;
}

/** The regions of the tar stream, told by its writer before their bytes, read in stream order. */
export class SegmentPlan {
  private regions: Region[] = [];
  private head = 0;

  /** A file's content of `size` bytes starts at `start`; only large enough files become a region. */
  add(start: number, size: number): void {
    if (size < MIN_SEGMENTED_SIZE) return;
    const last = this.regions[this.regions.length - 1];
    if (last && start < last.end) throw new RangeError('segment regions must be added in stream order');
    this.regions.push({ start, end: start + size });
  }

  /** The region holding `offset`, else the next known one after it; null when none is known. */
  at(offset: number): Region | null {
    while (this.head < this.regions.length && (this.regions[this.head] as Region).end <= offset) this.head++;
    if (this.head >= COMPACT_AFTER) {
      this.regions = this.regions.slice(this.head);
      this.head = 0;
    }
    return this.regions[this.head] ?? null;
  }
}
