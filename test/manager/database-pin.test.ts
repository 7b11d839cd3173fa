// A backup pins each live WAL-mode database with a read transaction until its image is read; a
// pin holds back the log's checkpoints, so it must never outlive the backup — whether the backup
// succeeds or fails before the database was reached.

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { dataFolder } from '../../src/manager/data-folder.js';
import { isLifeboatProgress } from '../../src/manager/events.js';
import { onPausePoint } from '../../src/util/pause-point.js';
import { openManager } from '../helpers/manager.js';
import { makeInstallation } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';

/** A second connection, as Home Assistant's recorder holds one: with the log full, a pin shows as a busy checkpoint. */
function recorder(inst: string): { db: Database.Database; checkpointBusy: () => boolean } {
  const db = new Database(join(inst, 'home-assistant_v2.db'));
  db.pragma('busy_timeout = 0');
  db.pragma('wal_autocheckpoint = 0');
  db.exec("CREATE TABLE IF NOT EXISTS pin_probe (v TEXT); INSERT INTO pin_probe VALUES ('in the log')");
  return {
    db,
    checkpointBusy: () => {
      const busy = (db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[])[0]?.busy === 1;
      db.exec("INSERT INTO pin_probe VALUES ('again')"); // the log is never empty for the next probe
      return busy;
    },
  };
}

let unhook: (() => void) | undefined;
afterEach(() => unhook?.());

describe('a pinned database during a backup', () => {
  it('is released once the backup is written', async () => {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const { db, checkpointBusy } = recorder(inst);
    const seen: boolean[] = [];
    unhook = onPausePoint('walk:before-look', (rel) => {
      if (rel === 'configuration.yaml') seen.push(checkpointBusy());
    });
    const manager = await openManager({ installation: inst });
    await manager.create({ password: 'key' });
    expect(seen).toEqual([true]);
    expect(checkpointBusy()).toBe(false);
    db.close();
  });

  it('is released when the backup fails before the database is read', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const { db, checkpointBusy } = recorder(inst);
    const seen: boolean[] = [];
    unhook = onPausePoint('walk:before-look', (rel) => {
      if (rel !== 'configuration.yaml') return;
      seen.push(checkpointBusy());
      throw new Error('the disk went away');
    });
    const manager = await openManager({ installation: inst });
    await expect(manager.create({ password: 'key' })).rejects.toThrow(/disk went away/);
    expect(seen).toEqual([true]);
    expect(checkpointBusy()).toBe(false);
    const tmp = dataFolder(inst).tmp;
    if (existsSync(tmp)) expect(readdirSync(tmp).filter((n) => n.includes('-snapshot-'))).toEqual([]);
    db.close();
  });

  it('is released when Lifeboat stops between pinning the databases and writing the archive', async () => {
    const inst = join(await tmpDir(), 'config');
    await makeInstallation(inst);
    const { db, checkpointBusy } = recorder(inst);
    const manager = await openManager({ installation: inst });
    let stopping: Promise<void> | undefined;
    // Stopped as the databases are about to be pinned: the backup notices right after they are.
    manager.events.subscribe((e) => {
      if (isLifeboatProgress(e) && e.step === 'copy_databases') stopping ??= manager.abort();
    });
    await expect(manager.create({ password: 'key' })).rejects.toThrow(/stopping/);
    await stopping;
    expect(checkpointBusy()).toBe(false);
    db.close();
  });
});
