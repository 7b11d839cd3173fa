// Errors as Home Assistant's API reports them: a specific backup code where one exists,
// `home_assistant_error` for the generic ones, `invalid_format` for a bad request, and the events
// Home Assistant sends to `backup/subscribe_events` subscribers.

import { z } from 'zod';
import { BackupError, DecryptOnDownloadNotSupported } from '../util/errors.js';
import { isStateEvent, isUploadProgress, type HaManagerEvent, type ManagerEvent } from '../core/types.js';

/** An error with Home Assistant's API code and an HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const GENERIC_CODES = new Set(['unknown', 'backup_manager_error', 'backup_reader_writer_error', 'backup_agent_error']);

/** Home Assistant's mapping: specific backup codes where they exist, `home_assistant_error` else. */
export function apiErrorCode(err: unknown): { code: string; message: string } {
  if (err instanceof ApiError) return { code: err.code, message: err.message };
  if (err instanceof z.ZodError) return { code: 'invalid_format', message: err.issues[0]?.message ?? 'invalid format' };
  if (err instanceof DecryptOnDownloadNotSupported) return { code: 'decrypt_not_supported', message: err.message };
  if (err instanceof BackupError) {
    return { code: GENERIC_CODES.has(err.code) ? 'home_assistant_error' : err.code, message: err.message };
  }
  return { code: 'unknown_error', message: 'Unknown error' };
}

/** Events that Home Assistant sends to backup/subscribe_events subscribers. */
export function isHaEvent(e: ManagerEvent): e is HaManagerEvent {
  return isStateEvent(e) || isUploadProgress(e);
}
