// Home Assistant version comparison (CalVer `YYYY.M.patch`, with dev/beta suffixes ordered before
// the release), used to refuse restoring a backup made by a newer Home Assistant.

function parts(version: string): { nums: number[]; pre: string | null } {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(.*)$/.exec(version.trim());
  if (!m) return { nums: [0, 0, 0], pre: version };
  const rest = (m[4] ?? '').replace(/^[.-]/, '');
  return { nums: [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)], pre: rest || null };
}

/** <0 when a is older than b, 0 when equal, >0 when newer. */
export function compareHaVersions(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < 3; i++) {
    const d = (pa.nums[i] as number) - (pb.nums[i] as number);
    if (d !== 0) return d;
  }
  if (pa.pre === pb.pre) return 0;
  if (pa.pre === null) return 1; // a release is newer than its betas and dev builds
  if (pb.pre === null) return -1;
  return pa.pre < pb.pre ? -1 : 1;
}
