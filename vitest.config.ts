// The test suite in three projects, each file's name says which it belongs to:
//   unit    `*.test.ts`         pure and in-process (no child processes, servers or browser); seconds
//   system  `*.system.test.ts`  real servers (s3rver, sshd, Apache, Mosquitto, MariaDB, PostgreSQL), child processes, Chromium,
//                               hundreds of MB written
//   heavy   `*.heavy.test.ts`   GiB-sized streams; run after the others, one file at a time
// `npm test` runs all three; `npm run test:unit`, `test:system` and `test:heavy` one each.

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Lifeboat's data folders (default: under $XDG_STATE_HOME) go to a folder of this run, removed at the end.
process.env.XDG_STATE_HOME = join(tmpdir(), `lifeboat-test-state-${process.pid}`);

const SYSTEM = 'test/**/*.system.test.ts';
const HEAVY = 'test/**/*.heavy.test.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    globalSetup: ['test/helpers/state-home.ts'],
    setupFiles: ['test/helpers/tmp-cleanup.ts'],
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [SYSTEM, HEAVY], isolate: false, testTimeout: 30_000, hookTimeout: 30_000 },
      },
      {
        extends: true,
        test: {
          name: 'system',
          include: [SYSTEM],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // Conditions on real servers and a browser are polled for: a loaded machine's fsyncs and
          // renders can take seconds, so a condition gets that long before it counts as not met.
          expect: { poll: { timeout: 15_000 } },
        },
      },
      {
        extends: true,
        test: {
          name: 'heavy',
          include: [HEAVY],
          testTimeout: 300_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
