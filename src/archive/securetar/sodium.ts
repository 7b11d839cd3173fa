// Loads libsodium (WebAssembly build) through its CommonJS entry, once, for Argon2id, BLAKE2b and
// the XChaCha20-Poly1305 secretstream that SecureTar v3 needs.

import { createRequire } from 'node:module';

export type Sodium = typeof import('libsodium-wrappers-sumo');

const require = createRequire(import.meta.url);
let loading: Promise<Sodium> | null = null;
let loaded: Sodium | null = null;

export function loadSodium(): Promise<Sodium> {
  loading ??= (async () => {
    const sodium = require('libsodium-wrappers-sumo') as Sodium;
    await sodium.ready;
    loaded = sodium;
    return sodium;
  })();
  return loading;
}

/** The loaded library; only valid after `loadSodium()` has resolved. */
export function sodiumSync(): Sodium {
  if (!loaded) throw new Error('libsodium used before loadSodium() resolved');
  return loaded;
}
