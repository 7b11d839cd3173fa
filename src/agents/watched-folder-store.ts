// A folder store that says when its files changed: after a backup file is committed (written in
// place or put), moved or removed. The local backup folder uses it where another program keeps a
// list of the same folder — the Supervisor's backup list of `/backup` under Home Assistant OS —
// so that program is told to read the folder again. The call is a notification only: it never
// fails or delays the write.

import type { ReservedBlob } from './blob-store.js';
import { FolderStore, type FolderStoreOptions } from './folder-location.js';

export class WatchedFolderStore extends FolderStore {
  constructor(
    dir: string,
    opts: FolderStoreOptions,
    private readonly onChange: () => void,
  ) {
    super(dir, opts);
  }

  override async reserve(): Promise<ReservedBlob> {
    const reserved = await super.reserve();
    return {
      ...reserved,
      commit: async (name) => {
        const path = await reserved.commit(name);
        this.onChange();
        return path;
      },
    };
  }

  override async move(from: string, to: string): Promise<void> {
    await super.move(from, to);
    this.onChange();
  }

  override async remove(name: string): Promise<void> {
    await super.remove(name);
    this.onChange();
  }
}
