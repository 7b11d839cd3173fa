// What the use case "look inside a backup" takes and gives: the requests as zod schemas (the types
// come from them), the entries of a listing, a comparison's result and an opened file. Front ends
// (the commands now, the WebSocket API and the web UI later) speak these.

import { z } from 'zod';
import type { ArchiveFileType } from '../archive/archive-files.js';
import { InvalidRequestError } from '../util/errors.js';
import { AgentIdSchema, BackupIdSchema } from './api-schemas.js';
import type { ChangedPath } from './tree-diff.js';

/** A path in a backup, relative to the installation (`automations.yaml`, `.storage/core.config`). */
export const BackupPathSchema = z
  .string()
  .max(4096)
  .refine((p) => !p.includes('\0'), 'a path has no NUL byte')
  .refine((p) => !p.split('/').includes('..'), 'a path in a backup has no `..` component');

/** An inner archive by its name before the first dot (`homeassistant`, an add-on slug, `ssl`). */
export const ArchiveNameSchema = z.string().regex(/^[^./\\\0]{1,255}$/, 'an inner archive name, e.g. homeassistant');

/** Which backup, from where, opened how. */
export const OpenSchema = z.object({
  /** The location to read it from; default the local backup folder. */
  agentId: AgentIdSchema.optional(),
  /** The password; without one, the keyring's key for the backup. */
  password: z.string().nullable().optional(),
  /** The inner archive to look into; default Home Assistant's (paths relative to the installation). */
  archive: ArchiveNameSchema.optional(),
});
export type OpenRequest = z.infer<typeof OpenSchema>;

export const ListSchema = OpenSchema.extend({
  /** Only this path and what lies below it; default everything. */
  path: BackupPathSchema.optional(),
  /** Each file's SHA-256, computed as it streams by. */
  digests: z.boolean().optional(),
});
export type ListRequest = z.infer<typeof ListSchema>;

export const DiffSchema = z.object({
  /** The location of the first backup (default the local folder). */
  agentId: AgentIdSchema.optional(),
  /** The location of the second backup (default: the first one's). */
  otherAgentId: AgentIdSchema.optional(),
  /** The password of the first backup (and of the second, unless otherPassword is given). */
  password: z.string().nullable().optional(),
  otherPassword: z.string().nullable().optional(),
  /** The inner archive compared in both backups (not with the live installation). */
  archive: ArchiveNameSchema.optional(),
  /** Only this path and what lies below it. */
  path: BackupPathSchema.optional(),
  /**
   * Whether the recorder database (and a recorder dump) is compared. Default: yes between
   * backups; against the live installation, when the first backup holds a database.
   */
  includeDatabase: z.boolean().optional(),
});
export type DiffRequest = z.infer<typeof DiffSchema>;

/** The second side of a comparison that is the installation itself, as a backup made now would hold it. */
export const LIVE = 'live';

export const DiffSideSchema = z.union([BackupIdSchema, z.literal(LIVE)]);

/** One entry of a backup, by the path of the file it stands for. */
export interface BackupFileEntry {
  path: string;
  type: ArchiveFileType;
  /** Bytes of content (0 for anything but a file, a hard link too: its content is its file's). */
  size: number;
  /** Permission bits (0o644 is 420). */
  mode: number;
  /** Modification time, ISO 8601 in UTC to the millisecond. */
  mtime: string;
  /** A symbolic link's target as stored; a hard link's file, by its path in the backup. */
  linkname?: string;
  /** With digests: the SHA-256 of a file's content (a hard link's: its file's, null if unknown). */
  sha256?: string | null;
}

export interface BackupDiff {
  /** Paths in the second side only. */
  added: string[];
  /** Paths in the first side only. */
  removed: string[];
  changed: ChangedPath[];
  /** What was left out of the comparison (`home-assistant_v2.db`, `lifeboat-recorder-dump/`). */
  notCompared: string[];
}

export interface OpenedBackupFile {
  path: string;
  size: number;
  mode: number;
  mtime: string;
  /** Exactly `size` bytes; the backup is closed when it ends, fails or is left early. */
  stream: AsyncIterable<Buffer>;
  /** Closes the backup when the stream is never read to its end (idempotent). */
  close(): Promise<void>;
}

/** Parses a request; what does not fit is an InvalidRequestError naming the field. */
export function parseRequest<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  throw new InvalidRequestError('invalid_request', `${where}${issue?.message ?? 'invalid request'}`);
}
