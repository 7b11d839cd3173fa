// The test run's state folder (XDG_STATE_HOME, where Lifeboat's data folders go by default) is
// removed when the run ends.

import { rm } from 'node:fs/promises';

export default function setup(): () => Promise<void> {
  const dir = process.env.XDG_STATE_HOME;
  return async () => {
    if (dir && dir.includes('lifeboat-test-state-')) await rm(dir, { recursive: true, force: true });
  };
}
