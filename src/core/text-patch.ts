// Unified diffs of one file between two sides (backups, the live installation), for `backup diff
// --patch` and the web UI: text is compared line by line with jsdiff; a file with a NUL byte in its
// first 8 KiB, or that is not valid UTF-8, is binary ("binary files differ"), and a file larger
// than the bound is not loaded for a patch at all. A side without the file is empty (/dev/null).

/** Larger files are not loaded for a patch (a line diff needs both texts whole). */
export const MAX_PATCH_BYTES = 1 << 20;
/** A line diff that takes longer than this is given up (far more changes than a reader follows). */
const PATCH_TIMEOUT_MS = 5_000;
const BINARY_PROBE_BYTES = 8 * 1024;
const CONTEXT_LINES = 3;

/**
 * One side of a patch: the file's bytes, null when the side has no such file (or not as a file),
 * 'binary' when it is known to be binary unread (a database), 'too-large' beyond MAX_PATCH_BYTES.
 */
export type PatchSide = Buffer | null | 'binary' | 'too-large';

export type FilePatch =
  /** `patch` is a unified diff, '' when the two texts are equal. */
  | { path: string; kind: 'text'; patch: string }
  | { path: string; kind: 'binary' }
  /** A side is larger than `limit` bytes, or the change too large to work out in time. */
  | { path: string; kind: 'too-large'; limit: number };

export function isBinary(bytes: Buffer): boolean {
  if (bytes.subarray(0, BINARY_PROBE_BYTES).includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return false;
  } catch {
    return true;
  }
}

/** The line diff, or undefined when it took too long. */
async function lineDiff(oldName: string, newName: string, oldText: string, newText: string, labels: { a: string; b: string }): Promise<string | undefined> {
  // Loaded when a patch is asked for, so that the commands and the server start without it.
  const { createTwoFilesPatch, FILE_HEADERS_ONLY } = await import('diff');
  return new Promise((resolve) => {
    createTwoFilesPatch(oldName, newName, oldText, newText, labels.a, labels.b, {
      context: CONTEXT_LINES,
      headerOptions: FILE_HEADERS_ONLY,
      timeout: PATCH_TIMEOUT_MS,
      // Worked out in steps, so a server stays responsive meanwhile.
      callback: resolve,
    });
  });
}

/** The patch from side a to side b of `path`; `labels` name the sides in the file headers. */
export async function makePatch(path: string, a: PatchSide, b: PatchSide, labels: { a: string; b: string }): Promise<FilePatch> {
  if (a === 'too-large' || b === 'too-large') return { path, kind: 'too-large', limit: MAX_PATCH_BYTES };
  if (a === 'binary' || b === 'binary' || (a && isBinary(a)) || (b && isBinary(b))) return { path, kind: 'binary' };
  if ((!a && !b) || (a && b && a.equals(b))) return { path, kind: 'text', patch: '' };
  const patch = await lineDiff(a ? `a/${path}` : '/dev/null', b ? `b/${path}` : '/dev/null', a?.toString('utf8') ?? '', b?.toString('utf8') ?? '', labels);
  if (patch === undefined) return { path, kind: 'too-large', limit: MAX_PATCH_BYTES };
  return { path, kind: 'text', patch };
}

/** The patch as text: the unified diff, or a line saying why there is none. */
export function patchText(p: FilePatch): string {
  if (p.kind === 'text') return p.patch;
  if (p.kind === 'binary') return `Binary files a/${p.path} and b/${p.path} differ\n`;
  return `Files a/${p.path} and b/${p.path} differ (too large for a line diff; at most ${p.limit} bytes)\n`;
}
