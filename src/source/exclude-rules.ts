// Home Assistant's exclusion rules and their matching semantics: each pattern is anchored at the
// installation root (`data/<pattern>` against `data/<path>`), `*` stays within one path segment,
// `**` as a whole segment spans any number of segments (zero included), case-sensitive.

export const ALWAYS_EXCLUDED = [
  '**/__pycache__/*',
  '**/.DS_Store',
  '.HA_RESTORE',
  '*.db-shm',
  '*.log.*',
  '*.log',
  'backups/*.tar',
  'tmp_backups/*.tar',
  'OZW_Log.txt',
  'tts/*',
] as const;

export const DATABASE_PATTERNS = ['home-assistant_v2.db', 'home-assistant_v2.db-wal'] as const;

type Segment = { kind: 'any' } | { kind: 'literal'; text: string } | { kind: 'glob'; re: RegExp };

function escapeRegExp(ch: string): string {
  return /[\\^$.*+?()[\]{}|]/.test(ch) ? `\\${ch}` : ch;
}

/** fnmatch-style translation of one segment: `*`, `?`, `[seq]`, `[!seq]`. */
function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i] as string;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += escapeRegExp(ch);
  }
  return new RegExp(`^${re}$`, 'u');
}

function compile(pattern: string): Segment[] {
  return pattern
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .map((s): Segment => {
      if (s === '**') return { kind: 'any' };
      if (!/[*?[]/.test(s)) return { kind: 'literal', text: s };
      return { kind: 'glob', re: segmentRegExp(s) };
    });
}

function matchSegments(pattern: Segment[], pi: number, path: string[], si: number): boolean {
  if (pi === pattern.length) return si === path.length;
  const seg = pattern[pi] as Segment;
  if (seg.kind === 'any') {
    for (let k = si; k <= path.length; k++) if (matchSegments(pattern, pi + 1, path, k)) return true;
    return false;
  }
  if (si >= path.length) return false;
  const part = path[si] as string;
  const ok = seg.kind === 'literal' ? seg.text === part : seg.re.test(part);
  return ok && matchSegments(pattern, pi + 1, path, si + 1);
}

/** A compiled set of root-anchored patterns. */
export class ExcludeRules {
  private readonly compiled: Segment[][];

  constructor(readonly patterns: readonly string[]) {
    this.compiled = patterns.map(compile);
  }

  /** Home Assistant's list, plus the database patterns when the database is left out, plus extras. */
  static forBackup(options: { includeDatabase: boolean; extra?: readonly string[] }): ExcludeRules {
    return new ExcludeRules([
      ...ALWAYS_EXCLUDED,
      ...(options.includeDatabase ? [] : DATABASE_PATTERNS),
      ...(options.extra ?? []),
    ]);
  }

  /** True when the relative POSIX path (no leading `./`) is excluded. */
  excludes(relativePath: string): boolean {
    const parts = relativePath.split('/').filter((p) => p !== '');
    return this.compiled.some((pattern) => matchSegments(pattern, 0, parts, 0));
  }
}
