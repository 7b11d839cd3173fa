// Onboarding, as Home Assistant's: on a fresh machine — no token yet and an installation folder
// with no configuration — a backup may be uploaded and restored before anything (or anyone) is
// set up. Once a token exists, or the installation has anything in it, onboarding is closed.
// It fails closed: a token file that cannot be read, or an installation folder that exists but
// cannot be listed, closes it (with an error in the log), since neither proves the machine is fresh.

import { readdir } from 'node:fs/promises';
import { isStagingName } from '../manager/data-folder.js';
import type { TokenStore } from '../settings/token-store.js';
import type { CoreParts } from './parts.js';

export class Onboarding {
  /** The last problem logged, so a closed onboarding is logged once per cause, not per request. */
  private lastProblem: string | null = null;

  constructor(
    private readonly parts: Pick<CoreParts, 'df' | 'log'>,
    private readonly tokens: TokenStore,
  ) {}

  async isOpen(): Promise<boolean> {
    try {
      if ((await this.tokens.count()) > 0) return this.settled(false);
      const { df } = this.parts;
      const ignore = new Set(['backups', 'tmp_backups']);
      const entries = await readdir(df.installation).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [] as string[]; // restoring into a missing folder creates it
        throw new Error(`the installation folder ${df.installation} cannot be read (${err.code ?? err.message})`);
      });
      return this.settled(entries.every((e) => ignore.has(e) || isStagingName(e) || df.root === `${df.installation}/${e}`));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.lastProblem) this.parts.log.error('Onboarding is closed: the machine cannot be shown to be fresh', { error: message });
      this.lastProblem = message;
      return false;
    }
  }

  private settled(open: boolean): boolean {
    this.lastProblem = null;
    return open;
  }
}
