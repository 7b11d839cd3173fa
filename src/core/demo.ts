// A demo installation to try Lifeboat on (YAML, `.storage`, media, a recorder database), and a
// recorder-like writer that keeps changing its database while Lifeboat backs it up.

import { join } from 'node:path';
import { createDemoInstallation, DEMO_DB, openRecorderDb, type DemoOptions } from '../source/demo-installation.js';
import { nowMs, systemClock, type Clock } from '../util/clock.js';

export { createDemoInstallation, DEMO_DB, type DemoOptions };

/** Writes to the demo database like a recorder, `commitsPerSecond` times a second, until stopped. */
export function startRecorderWriter(dir: string, commitsPerSecond: number, clock: Clock = systemClock): { stop(): number } {
  const db = openRecorderDb(join(dir, DEMO_DB));
  let commits = 0;
  const timer = setInterval(() => {
    db.writeBatch(3, nowMs(clock));
    commits++;
  }, Math.max(1, Math.floor(1000 / commitsPerSecond)));
  return {
    stop: () => {
      clearInterval(timer);
      db.close();
      return commits;
    },
  };
}
