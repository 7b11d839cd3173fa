// Typed errors of the backup system. Each carries an error code: Home Assistant's own where one
// exists (so API clients see familiar codes), a specific Lifeboat code where Home Assistant would
// only say "unknown". Messages are one line and say what failed and where.

export class BackupError extends Error {
  readonly code: string = 'unknown';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Failure of a backup location (agent). */
export class BackupAgentError extends BackupError {
  override readonly code: string = 'backup_agent_error';
}

export class BackupAgentUnreachableError extends BackupAgentError {
  override readonly code: string = 'backup_agent_unreachable';
  constructor(message = 'The backup agent is unreachable.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class BackupManagerError extends BackupError {
  override readonly code: string = 'backup_manager_error';
}

/** Failure while reading or writing an archive. */
export class BackupReaderWriterError extends BackupError {
  override readonly code: string = 'backup_reader_writer_error';
}

export class BackupNotFound extends BackupAgentError {
  override readonly code: string = 'backup_not_found';
}

export class IncorrectPasswordError extends BackupReaderWriterError {
  override readonly code: string = 'password_incorrect';
  constructor(message = 'The password provided is incorrect.', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class InvalidBackupFilename extends BackupManagerError {
  override readonly code: string = 'invalid_backup_filename';
}

export class DecryptOnDownloadNotSupported extends BackupManagerError {
  override readonly code: string = 'decrypt_on_download_not_supported';
}

/** The archive is not a readable Home Assistant backup (not a tar, no backup.json, bad JSON). */
export class InvalidBackupArchive extends BackupReaderWriterError {
  override readonly code: string = 'invalid_backup';
}

/**
 * The archive goes past one of the reader's limits (a huge backup.json, endless extended headers,
 * too many entries): it is refused before it can fill memory or keep the reader busy.
 */
export class ArchiveLimitExceeded extends InvalidBackupArchive {
  override readonly code: string = 'archive_limit_exceeded';
}

/** Bytes are missing: the file or stream ends before the format says it should. */
export class ArchiveTruncatedError extends BackupReaderWriterError {
  override readonly code: string = 'archive_truncated';
}

/** Bytes are wrong: authentication, checksum, CRC or structure failed. */
export class ArchiveCorruptError extends BackupReaderWriterError {
  override readonly code: string = 'archive_corrupt';
}

/** A recorded SHA-256 digest does not match the archive's content. */
export class IntegrityError extends ArchiveCorruptError {
  override readonly code: string = 'integrity_check_failed';
}

export class UnsupportedSecureTarVersion extends BackupReaderWriterError {
  override readonly code: string = 'unsupported_securetar_version';
}

/** An archive entry would be written outside its target folder, or is of a forbidden kind. */
export class UnsafeEntryError extends BackupReaderWriterError {
  override readonly code: string = 'unsafe_archive_entry';
}

/** A hard link whose target is not a file extracted from the archive (it would link to whatever is there). */
export class HardLinkTargetMissing extends UnsafeEntryError {
  constructor(
    message: string,
    /** The link and its target, relative to the target folder. */
    readonly path: string,
    readonly target: string,
  ) {
    super(message);
  }
}

/** A file of the installation could not be read while archiving it. */
export class SourceReadError extends BackupReaderWriterError {
  override readonly code: string = 'file_read_failed';
}

/** The disk is full. */
export class DiskFullError extends BackupReaderWriterError {
  override readonly code: string = 'disk_full';
}

/** The operation was stopped on request (the process is shutting down); nothing partial is left. */
export class OperationAborted extends BackupManagerError {
  override readonly code: string = 'aborted';
}

/** The password is required (encrypted archive) but none was given. */
export class PasswordRequiredError extends IncorrectPasswordError {
  constructor(message = 'The backup is encrypted and no password was provided.') {
    super(message);
  }
}

export function errorCode(err: unknown): string {
  return err instanceof BackupError ? err.code : 'unknown_error';
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A request that cannot be carried out as asked (a bad parameter); the code names the problem. */
export class InvalidRequestError extends BackupError {
  override readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/** An unencrypted copy from a remote location, when Lifeboat encrypts its backups: restored only when confirmed. */
export class UnencryptedBackupError extends BackupManagerError {
  override readonly code: string = 'unencrypted_backup_not_confirmed';
}

/** A path asked for is not in the backup (nor anything below it). */
export class PathNotInBackup extends BackupError {
  override readonly code: string = 'path_not_found';
}

/** A path in a backup is not a file where the content of a file was asked for (a folder, a link). */
export class NotAFileInBackup extends BackupError {
  override readonly code: string = 'not_a_file';
}
