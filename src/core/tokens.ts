// Access tokens for the API and the web UI, kept hashed in the data folder: created (shown once),
// listed, revoked, and checked for every request. Opened on its own for the `token` commands.

import { join } from 'node:path';
import { dataFolder } from '../manager/data-folder.js';
import { ensureDataFolder } from '../manager/data-folder-guard.js';
import { TokenStore, TokenStoreUnreadable, type TokenInfo } from '../settings/token-store.js';
import type { Logger } from '../util/logger.js';

export type { TokenInfo };

/** The token store of an installation's data folder. */
export function tokenStoreAt(root: string): TokenStore {
  return new TokenStore(join(root, 'tokens.json'));
}

/** The tokens of an installation, without opening the rest of Lifeboat. */
export async function openTokens(installation: string, data?: string, log?: Logger): Promise<TokenStore> {
  const df = dataFolder(installation, data);
  await ensureDataFolder(df, log);
  return tokenStoreAt(df.root);
}

export { TokenStore, TokenStoreUnreadable };
