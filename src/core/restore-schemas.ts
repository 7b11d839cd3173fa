// What the restore use case takes beyond Home Assistant's `backup/restore`, as zod schemas that
// every front end (the command line now, the WebSocket API and the web UI later) passes through:
// the paths of a partial restore.

import { z } from 'zod';
import { normalisePath } from '../archive/archive-files.js';
import { BackupPathSchema } from './backup-file-schemas.js';

/** A file or folder to restore, relative to the installation (`automations.yaml`, `custom_components/foo`). */
export const RestorePathSchema = BackupPathSchema.refine((p) => !p.startsWith('/'), 'a path to restore is relative to the installation').refine(
  (p) => normalisePath(p) !== '',
  'a path to restore names a file or folder, not the whole installation',
);

/**
 * The paths of a partial restore: only these are replaced, each whole (a folder's files added
 * since the backup go), all or nothing; each must be in the backup. The recorder database only
 * when a path names it (`home-assistant_v2.db`, `lifeboat-recorder-dump`).
 */
export const RestorePathsSchema = z.array(RestorePathSchema).min(1, 'a partial restore needs at least one path').max(1000);
