// The fault-injection points of a restore (src/util/crash-point.ts) in the order a restore passes
// them, each with what the next start must leave after a kill there — the tree before the restore
// ('old': rolled back or never swapped) or the restored one ('restored': the swap was committed) —
// and whether the swap's journal is there at that moment (only while the swap is under way; its
// staging folder is there at every point).

export const RESTORE_CRASH_POINTS = [
  ['restore:extracted', 'old', false],
  ['restore:swap-start', 'old', true],
  ['restore:swap-middle', 'old', true],
  ['restore:swap-before-commit', 'old', true],
  ['restore:swap-committed', 'restored', true],
  ['restore:journal-removed', 'restored', false],
] as const;
