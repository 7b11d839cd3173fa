// Onboarding, as Home Assistant's: on a fresh machine — no token yet and an installation folder
// with no configuration — a backup may be uploaded and restored before anything (or anyone) is
// set up. Once a token exists, or the installation has anything in it, onboarding is closed.

import { readdir } from 'node:fs/promises';
import { isStagingName } from '../manager/data-folder.js';
import type { TokenStore } from '../settings/token-store.js';
import type { CoreParts } from './parts.js';

export class Onboarding {
  constructor(
    private readonly parts: CoreParts,
    private readonly tokens: TokenStore,
  ) {}

  async isOpen(): Promise<boolean> {
    if ((await this.tokens.count()) > 0) return false;
    const { df } = this.parts;
    const ignore = new Set(['backups', 'tmp_backups']);
    const entries = await readdir(df.installation).catch(() => [] as string[]);
    return entries.every((e) => ignore.has(e) || isStagingName(e) || df.root === `${df.installation}/${e}`);
  }
}
