// The token file fails closed: a file that exists but is damaged or unreadable refuses every token,
// makes `count` (and so onboarding) an error instead of "no tokens", and is never overwritten by a
// change; a missing file is simply "no tokens yet". A new token works at once; changes are
// announced to listeners; changes made at the same time, in one process or two, and re-reads
// during them, lose nothing.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenStore, TokenStoreUnreadable } from '../../src/settings/token-store.js';
import { tmpDir } from '../helpers/tmp.js';

describe('token store', () => {
  it('reads a missing file as no tokens', async () => {
    const store = new TokenStore(join(await tmpDir(), 'tokens.json'));
    expect(await store.count()).toBe(0);
    expect(await store.unreadable()).toBeNull();
  });

  it.each([
    ['not JSON', 'this is {not json'],
    ['JSON of another shape', '{"version":1,"tokens":"all of them"}'],
    ['empty', ''],
  ])('refuses every token and throws on count when the file is %s, and keeps the file as it is', async (_what, content) => {
    const dir = await tmpDir();
    const path = join(dir, 'tokens.json');
    const good = new TokenStore(path);
    const { token, info } = await good.create('before');
    await writeFile(path, content);
    const store = new TokenStore(path);
    expect(await store.verify(token)).toBeNull();
    expect(await store.byId(info.id)).toBeNull();
    await expect(store.count()).rejects.toBeInstanceOf(TokenStoreUnreadable);
    await expect(store.count()).rejects.toThrow(/tokens\.json cannot be read.*every token is refused and onboarding stays closed/);
    await expect(store.create('new')).rejects.toBeInstanceOf(TokenStoreUnreadable);
    await expect(store.revoke('before')).rejects.toBeInstanceOf(TokenStoreUnreadable);
    await expect(store.list()).rejects.toBeInstanceOf(TokenStoreUnreadable);
    expect((await store.unreadable())?.code).toBe('token_store_unreadable');
  });

  it('treats a token path that cannot be read as a file as unreadable, not as empty', async () => {
    const dir = await tmpDir();
    await mkdir(join(dir, 'tokens.json'));
    const store = new TokenStore(join(dir, 'tokens.json'));
    await expect(store.count()).rejects.toBeInstanceOf(TokenStoreUnreadable);
    expect(await store.verify('lbt_anything')).toBeNull();
  });

  it('accepts a token another process created a moment ago', async () => {
    const path = join(await tmpDir(), 'tokens.json');
    const server = new TokenStore(path);
    expect(await server.verify('lbt_unknown')).toBeNull();
    const { token } = await new TokenStore(path).create('fresh');
    expect((await server.verify(token))?.name).toBe('fresh');
  });

  it('tells listeners when a token is revoked', async () => {
    const store = new TokenStore(join(await tmpDir(), 'tokens.json'));
    const { info } = await store.create('a');
    let calls = 0;
    store.onChange(() => calls++);
    expect(await store.revoke(info.id)).toBe(true);
    expect(calls).toBeGreaterThan(0);
    expect(await store.byId(info.id)).toBeNull();
  });

  it('keeps every token of changes made at the same time, in memory and in the file', async () => {
    const path = join(await tmpDir(), 'tokens.json');
    const store = new TokenStore(path);
    const made = await Promise.all(['a', 'b', 'c', 'd'].map((name) => store.create(name)));
    for (const { token, info } of made) {
      expect((await store.verify(token))?.id).toBe(info.id);
      expect((await new TokenStore(path).verify(token))?.id).toBe(info.id);
    }
  });

  it("keeps another process's tokens when it creates or revokes one", async () => {
    const path = join(await tmpDir(), 'tokens.json');
    const serve = new TokenStore(path);
    const cli = new TokenStore(path);
    await serve.count();
    const made = await Promise.all([serve.create('web'), cli.create('script'), serve.create('phone'), cli.create('nas')]);
    expect((await serve.revoke('phone')) && (await cli.revoke('nas'))).toBe(true);
    const fresh = new TokenStore(path);
    expect((await fresh.list()).map((t) => t.name).sort()).toEqual(['script', 'web']);
    expect(await serve.verify(made[0]?.token)).not.toBeNull();
    expect(await serve.verify(made[1]?.token)).not.toBeNull();
  });

  it('refuses a revoked token from the moment the revoke returns, even when the file was being re-read', async () => {
    const path = join(await tmpDir(), 'tokens.json');
    const store = new TokenStore(path);
    for (let round = 0; round < 10; round++) {
      const { token, info } = await store.create(`t${round}`);
      expect(await store.verify(token)).not.toBeNull();
      const [, revoked] = await Promise.all([store.reload(), store.revoke(info.id), store.reload()]);
      expect(revoked).toBe(true);
      expect(await store.verify(token)).toBeNull();
      expect(await new TokenStore(path).verify(token)).toBeNull();
    }
  });
});
