// Errors as Home Assistant's API reports them: a specific backup code where one exists,
// `home_assistant_error` for the generic ones, `invalid_format` for a bad request, the fixed
// answers of the restore and decrypt checks, and the events Home Assistant sends to
// `backup/subscribe_events` subscribers.

import { z } from 'zod';
import { BackupError, BackupNotFound, DecryptOnDownloadNotSupported, IncorrectPasswordError } from '../util/errors.js';
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

/**
 * Home Assistant's `backup/restore` and `backup/can_decrypt_on_download` answer the errors they
 * expect with fixed messages: a wrong or missing password, a backup that vanished from its agent,
 * a backup that cannot be decrypted as a stream. Other errors keep their usual mapping.
 */
export function restoreCheckError(err: unknown): unknown {
  if (err instanceof IncorrectPasswordError) return new ApiError('password_incorrect', 'Incorrect password');
  if (err instanceof BackupNotFound) return new ApiError('backup_not_found', 'Backup not found');
  if (err instanceof DecryptOnDownloadNotSupported) return new ApiError('decrypt_not_supported', 'Decrypt on download not supported');
  return err;
}

/** Events that Home Assistant sends to backup/subscribe_events subscribers. */
export function isHaEvent(e: ManagerEvent): e is HaManagerEvent {
  return isStateEvent(e) || isUploadProgress(e);
}
