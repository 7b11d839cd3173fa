// What a remote location must be able to do, whatever its protocol: store a named blob from a
// stream (visible under its name only once complete), read one back as a stream, list the names
// under the location's prefix, remove one, and say whether it is usable. Each kind (folder, s3,
// sftp, webdav) implements this in its own file; `StoredBackupAgent` turns it into a BackupAgent.

export interface BlobInfo {
  name: string;
  size: number;
}

export interface PutOptions {
  /** The number of bytes the stream will yield, when known. */
  size?: number;
  signal?: AbortSignal;
  onProgress?: (bytes: number) => void;
}

/** What `location test` finds out; null where it could not be known. */
export interface ProbeReport {
  reachable: boolean;
  credentials: boolean;
  writable: boolean;
  freeBytes: number | null;
  detail: string[];
}

export interface BlobStore {
  /** Where this is, for messages (no credentials). */
  readonly where: string;
  /**
   * Stores `data` under `name`, replacing an existing blob. Atomic where the protocol allows:
   * readers see the old blob or the new one, never a part. An aborted or failed put leaves no
   * blob under `name` that was not there before.
   */
  put(name: string, data: AsyncIterable<Buffer>, opts: PutOptions): Promise<void>;
  /** put() is done with each chunk (it has copied or sent it) before it asks for the next. */
  readonly consumesChunksAtOnce?: boolean;
  /** Streams a blob; throws BlobNotFound. */
  get(name: string, opts?: { signal?: AbortSignal }): Promise<AsyncIterable<Buffer>>;
  /** Blob names and sizes directly under the prefix. */
  list(opts?: { signal?: AbortSignal }): Promise<BlobInfo[]>;
  /** Removes a blob; throws BlobNotFound when there is none. */
  remove(name: string, opts?: { signal?: AbortSignal }): Promise<void>;
  /** Reachability, credentials, write permission, free space. Writes and removes a small test blob. */
  probe(): Promise<ProbeReport>;
  /** Removes temp files of uploads that died with their connection, older than `maxAgeMs`. */
  removeStale?(maxAgeMs: number): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** Temp names of unfinished uploads: hidden, never listed, removed once stale. */
export const isTempName = (name: string) => name.startsWith('.lifeboat-') && name.endsWith('.partial');
/** Temp files older than this are leftovers of uploads that died, not uploads still running. */
export const STALE_TEMP_MS = 24 * 3600_000;

export class BlobNotFound extends Error {
  constructor(readonly blob: string) {
    super(`${blob} does not exist`);
    this.name = 'BlobNotFound';
  }
}

/** Runs a probe step and records its outcome. */
export async function probeStep(report: ProbeReport, label: string, step: () => Promise<string | void>): Promise<boolean> {
  try {
    const note = await step();
    report.detail.push(`${label}: ok${note ? ` (${note})` : ''}`);
    return true;
  } catch (err) {
    report.detail.push(`${label}: ${String((err as Error).message ?? err).split('\n')[0]}`);
    return false;
  }
}
