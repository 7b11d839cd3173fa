// Preloaded into the Lifeboat CLI by the benchmarks (runLifeboat in bench/bench-lib.ts runs
// bin/lifeboat with NODE_OPTIONS=--import <this file>): when the process exits, writes its peak resident set size
// (in KiB, whole process including worker threads) to the file named by LIFEBOAT_RSS_FILE, if that
// is set.
//
// The peak is the memory map's high-water mark (VmHWM in /proc/self/status), which starts afresh
// when the program is executed. getrusage's maxRSS (process.resourceUsage().maxRSS) does not: Linux
// keeps it across fork and exec, so a child started by a larger parent (the benchmark itself)
// would report the parent's size. maxRSS is used only where /proc is missing.

import { readFileSync, writeFileSync } from 'node:fs';

function peakKiB() {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux: fall back below
  }
  return process.resourceUsage().maxRSS;
}

const target = process.env.LIFEBOAT_RSS_FILE;
if (target) {
  process.on('exit', () => {
    try {
      writeFileSync(target, `${peakKiB()}\n`);
    } catch {
      // A benchmark probe must never change the exit status of the program it measures.
    }
  });
}
