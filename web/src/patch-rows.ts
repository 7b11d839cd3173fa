// A unified diff (lifeboat/backup/files/patch) as rows of a side-by-side view: each hunk starts
// with a header row; unchanged lines stand on both sides with their numbers, and a run of removed
// lines is paired line by line with the added lines that follow it.

export interface Side {
  n: number;
  text: string;
}

export type PatchRow = { kind: 'hunk'; text: string } | { kind: 'same' | 'changed' | 'removed' | 'added'; left: Side | null; right: Side | null };

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

export function patchRows(patch: string): PatchRow[] {
  const rows: PatchRow[] = [];
  let left = 0;
  let right = 0;
  let removed: Side[] = [];
  let added: Side[] = [];
  const flush = () => {
    for (let i = 0; i < Math.max(removed.length, added.length); i++) {
      const l = removed[i] ?? null;
      const r = added[i] ?? null;
      rows.push({ kind: l && r ? 'changed' : l ? 'removed' : 'added', left: l, right: r });
    }
    removed = [];
    added = [];
  };
  let inHunk = false;
  for (const line of patch.split('\n')) {
    const hunk = HUNK.exec(line);
    if (hunk) {
      flush();
      left = Number(hunk[1]);
      right = Number(hunk[2]);
      rows.push({ kind: 'hunk', text: line });
      inHunk = true;
    } else if (!inHunk || line.startsWith('\\')) {
      continue; // file headers before the first hunk; "\ No newline at end of file"
    } else if (line.startsWith('-')) {
      removed.push({ n: left++, text: line.slice(1) });
    } else if (line.startsWith('+')) {
      added.push({ n: right++, text: line.slice(1) });
    } else if (line.startsWith(' ')) {
      flush();
      rows.push({ kind: 'same', left: { n: left++, text: line.slice(1) }, right: { n: right++, text: line.slice(1) } });
    }
  }
  flush();
  return rows;
}

/** The class of a line of a unified diff as shown: added, removed, a hunk header, a file header or context. */
export function unifiedLineKind(line: string): 'add' | 'del' | 'hunk' | 'head' | 'ctx' {
  if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('===') || line.startsWith('Index:')) return 'head';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'add';
  if (line.startsWith('-')) return 'del';
  return 'ctx';
}
