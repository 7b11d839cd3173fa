// Access tokens for the API and the web UI, kept hashed in the data folder: created (shown once),
// listed, revoked, and checked for every request. Opened on its own for the `token` commands.

import { join } from 'node:path';
import { dataFolder, ensureDataFolder } from '../manager/data-folder.js';
import { TokenStore, TokenStoreUnreadable, type TokenInfo } from '../settings/token-store.js';

export type { TokenInfo };

/** The token store of an installation's data folder. */
export function tokenStoreAt(root: string): TokenStore {
  return new TokenStore(join(root, 'tokens.json'));
}

/** The tokens of an installation, without opening the rest of Lifeboat. */
export async function openTokens(installation: string, data?: string): Promise<TokenStore> {
  const df = dataFolder(installation, data);
  await ensureDataFolder(df);
  return tokenStoreAt(df.root);
}

export { TokenStore, TokenStoreUnreadable };
