// The messages between ExtractWriter and its worker (extract-worker.ts): batches of file-system
// operations whose data lies in one transferred buffer, and the replies that give the buffer back
// with the first failure, if any; and a reset that readies the worker for the next extraction.

/**
 * One operation. The first names the target folder (`root`); every other names its entry by `rel`,
 * a path below the target already checked (no `..`, not absolute); `off`/`len` locate data in the
 * batch buffer.
 */
export type ExtractOp =
  | { op: 'root'; path: string }
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

/** Forget the extraction so far (close its open files, clear its failure); answered in kind. */
export interface ExtractReset {
  reset: true;
}

export type ExtractRequest = ExtractBatch | ExtractReset;
export type ExtractAnswer = ExtractReply | ExtractReset;
