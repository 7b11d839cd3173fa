// One file of a backup as a front end shows it in one answer (the WebSocket API, the web UI's
// viewer): its bytes as UTF-8 text when they are text, else as base64, up to a bound — a larger
// file is refused before its content is read, since an answer holds it whole. The text rule is
// the patches' (text-patch.ts): no NUL byte at the start, valid UTF-8.

import { InvalidRequestError } from '../util/errors.js';
import type { OpenedBackupFile } from './backup-file-schemas.js';
import { isBinary } from './text-patch.js';

/** The largest file whose content one answer carries. */
export const MAX_CONTENT_BYTES = 2 * 1024 * 1024;

export interface BackupFileContent {
  path: string;
  size: number;
  mode: number;
  mtime: string;
  /** `utf-8`: `content` is the text; `base64`: the file is binary and `content` its bytes in base64. */
  encoding: 'utf-8' | 'base64';
  content: string;
}

/** A file over the bound: its size and the bound are in the message, with where to get it instead. */
export class FileTooLarge extends InvalidRequestError {
  constructor(path: string, size: number, limit: number) {
    super('file_too_large', `${path} is ${size} bytes, more than the ${limit} bytes one answer carries; use \`lifeboat backup cat\` or download the backup`);
  }
}

/** Reads an opened file whole (closing it) into its content; a file over `limit` is refused unread. */
export async function fileContent(file: OpenedBackupFile, limit = MAX_CONTENT_BYTES): Promise<BackupFileContent> {
  if (file.size > limit) {
    await file.close();
    throw new FileTooLarge(file.path, file.size, limit);
  }
  const pieces: Buffer[] = [];
  try {
    for await (const piece of file.stream) pieces.push(piece);
  } finally {
    await file.close();
  }
  const bytes = Buffer.concat(pieces);
  const text = !isBinary(bytes);
  return {
    path: file.path,
    size: file.size,
    mode: file.mode,
    mtime: file.mtime,
    encoding: text ? 'utf-8' : 'base64',
    content: text ? bytes.toString('utf8') : bytes.toString('base64'),
  };
}
