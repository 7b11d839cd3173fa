// A second process for the tests of files that processes share: `node --import tsx
// settings-writer-child.ts <mode> <path> <count>`. Mode `counter`: bumps a number in a file under
// the lock file `<path>.lock`, pausing between read and write. Mode `rotate`: rotates the encryption
// key of the settings in the data folder <path>, `count` times. Mode `catalogue`: puts `count`
// entries named after this process's pid into the catalogue <path>.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Catalogue } from '../../src/manager/catalogue.js';
import { SettingsService } from '../../src/settings/settings-service.js';
import { withFileLock } from '../../src/util/file-lock.js';

const [mode, path, countText] = process.argv.slice(2) as [string, string, string];
const count = Number(countText);
if (mode === 'counter') {
  for (let i = 0; i < count; i++) {
    await withFileLock(`${path}.lock`, async () => {
      const n = Number(await readFile(path, 'utf8'));
      await sleep(1);
      await writeFile(path, String(n + 1));
    });
  }
} else if (mode === 'catalogue') {
  const catalogue = await Catalogue.load(path);
  for (let i = 0; i < count; i++) await catalogue.put({ backup_id: `${process.pid}-${i}`, failed_agent_ids: [], database_warnings: [] });
} else {
  const settings = await SettingsService.open({ settings: join(path, 'settings.json'), secrets: join(path, 'secrets.json') });
  for (let i = 0; i < count; i++) await settings.rotateKey();
}
