// The specific reason a job failed, for events, records and notifications: Home Assistant's codes
// where they fit, otherwise a Lifeboat code naming the step (`disk_full`, `file_read_failed`,
// `archive_write_failed`, `integrity_check_failed`, …). `upload_failed` is kept for agent uploads.

import { BackupError } from '../util/errors.js';

function errnoCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('E')) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `step` is the reason used for an otherwise unexplained error in that step. */
export function failureReason(err: unknown, step: string): string {
  if (errnoCode(err) === 'ENOSPC') return 'disk_full';
  if (err instanceof BackupError && err.code !== 'unknown' && err.code !== 'backup_reader_writer_error') return err.code;
  return step;
}

export function isDiskFull(err: unknown): boolean {
  return errnoCode(err) === 'ENOSPC';
}
