// The limits every archive reader checks before it believes a size or a count read from an
// archive: a hostile file cannot make Lifeboat read a huge backup.json or extended header into
// memory, stack up extended headers without end, or index an endless list of members. Each limit
// sits far above what Home Assistant, the Supervisor or common tar tools ever write; going past
// one is an ArchiveLimitExceeded that names the limit.

import { ArchiveLimitExceeded } from '../util/errors.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** backup.json: Home Assistant's are a few KiB (a Supervisor's with many add-ons, tens of KiB). */
export const MAX_BACKUP_JSON_BYTES = 1 * MiB;

/** Members of the outer tar: Core writes 2, the Supervisor one per add-on and folder. */
export const MAX_OUTER_MEMBERS = 10_000;

/** Entries of one inner tar: an installation has thousands to hundreds of thousands of files. */
export const MAX_INNER_ENTRIES = 10_000_000;

/** How many extended headers (PAX `x`/`g`, GNU `L`/`K`) and how many of their bytes are believed. */
export interface ExtendedHeaderLimits {
  /** Bytes of one extended header's data (a long path or link target is at most a few KiB). */
  maxOne: number;
  /** Extended headers in front of one member (tar tools write one to three). */
  maxPerEntry: number;
  /** Bytes of the extended headers in front of one member. */
  maxBytesPerEntry: number;
  /** Extended headers in the whole archive. */
  maxPerArchive: number;
  /** Bytes of extended headers in the whole archive. */
  maxBytesPerArchive: number;
  /** Bytes of global (`g`) records kept for the rest of the archive. */
  maxGlobalBytes: number;
}

const PER_MEMBER = { maxOne: 1 * MiB, maxPerEntry: 64, maxBytesPerEntry: 2 * MiB, maxGlobalBytes: 1 * MiB } as const;

/** The outer tar: a handful of members, each with at most one PAX header. */
export const OUTER_EXTENDED_LIMITS: ExtendedHeaderLimits = {
  ...PER_MEMBER,
  maxPerArchive: 4 * MAX_OUTER_MEMBERS,
  maxBytesPerArchive: 64 * MiB,
};

/**
 * The inner tar: Home Assistant writes one PAX header of about 30 bytes per entry (a fractional
 * mtime), longer with a long path; GNU tar may add long-name and long-link headers.
 */
export const INNER_EXTENDED_LIMITS: ExtendedHeaderLimits = {
  ...PER_MEMBER,
  maxPerArchive: 4 * MAX_INNER_ENTRIES,
  maxBytesPerArchive: 8 * GiB,
};

/** Throws ArchiveLimitExceeded when `value` passes `limit`. */
export function checkLimit(value: number, limit: number, what: string, where: string): void {
  if (value > limit) {
    throw new ArchiveLimitExceeded(`Refusing ${where}: ${what} is ${value}, over Lifeboat's limit of ${limit} (no Home Assistant backup comes near it)`);
  }
}
