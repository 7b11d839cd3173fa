// The local location `backup.local`: backup files in the installation's `backups/` folder, laid
// out as Home Assistant keeps them (named after the backup, no record beside them), so both see
// each other's backups. A location like the others — a folder store and a layout — whose files
// readers open in place and new backups are written into directly. `onChange` hears of every
// file written, moved or removed there (the add-on tells the Supervisor to read `/backup` again).

import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { LOCAL_AGENT_ID } from './agent.js';
import { ArchiveLayout } from './archive-layout.js';
import { FolderStore } from './folder-location.js';
import { StoredBackupAgent } from './stored-backup-agent.js';
import { WatchedFolderStore } from './watched-folder-store.js';

export function createLocalAgent(dir: string, opts: { clock?: Clock; log?: Logger; onChange?: () => void } = {}): StoredBackupAgent {
  const [domain, uniqueId] = LOCAL_AGENT_ID.split('.') as [string, string];
  const storeOpts = { marker: false, agentId: LOCAL_AGENT_ID };
  const store = opts.onChange ? new WatchedFolderStore(dir, storeOpts, opts.onChange) : new FolderStore(dir, storeOpts);
  return new StoredBackupAgent({ domain, uniqueId, name: 'local' }, store, {
    layout: new ArchiveLayout(opts.log),
    recordDigest: false,
    clock: opts.clock,
    log: opts.log,
  });
}
