// The messages between ExtractWriter and its worker (extract-worker.ts): batches of file-system
// operations whose data lies in one transferred buffer, and the replies that give the buffer back
// with the first failure, if any; for a durable extraction, a request answered once all it made is
// on disk; and a reset that readies the worker for the next extraction.

/**
 * One operation. The first names the target folder (`root`); every other names its entry by `rel`,
 * a path below the target already checked (no `..`, not absolute); `off`/`len` locate data in the
 * batch buffer.
 */
export type ExtractOp =
  /** `durable`: every file and folder made is fsynced (in the background, see extract-syncs.ts). */
  | { op: 'root'; path: string; durable: boolean }
  | { op: 'mkdir'; rel: string }
  | { op: 'file'; rel: string; mode: number; time: number; off: number; len: number }
  | { op: 'begin'; rel: string }
  | { op: 'append'; rel: string; off: number; len: number }
  | { op: 'end'; rel: string; mode: number; time: number }
  | { op: 'link'; rel: string; target: string; name: string }
  | { op: 'symlink'; rel: string; target: string; time: number }
  /** Checks a folder is still in its place; sets its mode and time when given. */
  | { op: 'folder'; rel: string; mode?: number; time?: number };

export interface ExtractBatch {
  buffer: ArrayBuffer;
  ops: ExtractOp[];
}

export interface ExtractFailure {
  message: string;
  /** An entry the worker refused (it would write through a link, replace a folder …). */
  unsafe: boolean;
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

export interface ExtractReply {
  buffer: ArrayBuffer;
  error: ExtractFailure | null;
}

/** Answered (ExtractSettled) once everything a durable extraction made so far is on disk. */
export interface ExtractSettle {
  settle: true;
}

export interface ExtractSettled {
  settled: true;
  /** The first fsync that failed. */
  error: ExtractFailure | null;
}

/** Forget the extraction so far (close its open files, clear its failure); answered in kind. */
export interface ExtractReset {
  reset: true;
}

export type ExtractRequest = ExtractBatch | ExtractSettle | ExtractReset;
export type ExtractAnswer = ExtractReply | ExtractSettled | ExtractReset;
