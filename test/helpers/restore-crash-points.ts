// The fault-injection points of a restore (src/util/crash-point.ts) in the order a restore passes
// them, each with what the next start must leave after a kill there: the tree before the restore
// ('old': rolled back or never swapped) or the restored one ('restored': the swap was committed).

export const RESTORE_CRASH_POINTS = [
  ['restore:extracted', 'old'],
  ['restore:swap-start', 'old'],
  ['restore:swap-middle', 'old'],
  ['restore:swap-before-commit', 'old'],
  ['restore:swap-committed', 'restored'],
] as const;
