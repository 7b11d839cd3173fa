// Preloaded into the Lifeboat CLI by the benchmarks (runLifeboat in bench/bench-lib.ts runs
// bin/lifeboat with NODE_OPTIONS=--import <this file>): when the process exits, writes its peak resident set size
// (process.resourceUsage().maxRSS, in KiB, whole process including worker threads) to the file
// named by LIFEBOAT_RSS_FILE, if that is set.

import { writeFileSync } from 'node:fs';

const target = process.env.LIFEBOAT_RSS_FILE;
if (target) {
  process.on('exit', () => {
    try {
      writeFileSync(target, `${process.resourceUsage().maxRSS}\n`);
    } catch {
      // A benchmark probe must never change the exit status of the program it measures.
    }
  });
}
