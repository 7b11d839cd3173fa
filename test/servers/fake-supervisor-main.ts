// The fake Supervisor as a process of its own, for scripts/addon/test-image.sh: it writes
// `{"url", "token"}` to the file named as its first argument once it listens, keeps the log of the
// calls it answered in `<that file>.log` (one "METHOD /path" a line), and runs until killed.
//
//   node --import tsx test/servers/fake-supervisor-main.ts <state file> [core version]

import { writeFileSync } from 'node:fs';
import { startFakeSupervisor } from './fake-supervisor.js';

const [stateFile, coreVersion] = process.argv.slice(2);
if (!stateFile) throw new Error('usage: fake-supervisor-main.ts <state file> [core version]');
const fake = await startFakeSupervisor({
  coreVersion,
  onCall: () => {
    // Written after the call is answered, so the log holds it once the caller has its answer.
    setImmediate(() => writeFileSync(`${stateFile}.log`, `${fake.log().join('\n')}\n`));
  },
});
writeFileSync(`${stateFile}.log`, '');
writeFileSync(stateFile, JSON.stringify({ url: fake.url, token: fake.token }));
