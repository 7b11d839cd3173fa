// One-time sign-in links: a code works once and only within its quarter of an hour, a wrong code
// gets nothing, and a redeemed code becomes an ordinary admin token that the token list shows.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SIGN_IN_LINK_TTL_MS, SignInLinks } from '../../src/core/sign-in-links.js';
import { tokenStoreAt } from '../../src/core/tokens.js';
import type { Clock } from '../../src/util/clock.js';
import { tmpDir } from '../helpers/tmp.js';

function manualClock(start: number): Clock & { advance(ms: number): void } {
  let t = start;
  return { now: () => ({ epochMs: t, micros: 0 }), advance: (ms) => (t += ms) };
}

async function links() {
  const tokens = tokenStoreAt(join(await tmpDir(), 'data'));
  const clock = manualClock(Date.parse('2026-12-06T08:00:00Z'));
  return { tokens, clock, links: new SignInLinks(tokens, clock) };
}

describe('sign-in links', () => {
  it('give an admin token once, listed like any other', async () => {
    const { tokens, links: l } = await links();
    const { code, expires } = l.issue();
    expect(expires.toISOString()).toBe('2026-12-06T08:15:00.000Z');
    expect(SignInLinks.path(code)).toMatch(/^\/#\/sign-in\/[A-Za-z0-9_-]{32}$/);
    const token = await l.redeem(code);
    expect(token).toBeTruthy();
    expect((await tokens.verify(token))?.scope).toBe('admin');
    expect((await tokens.list()).map((t) => t.name)).toEqual(['browser (sign-in link, 2026-12-06 08:00 UTC)']);
    expect(await l.redeem(code)).toBeNull();
  });

  it('expire after a quarter of an hour, and a wrong code gets nothing', async () => {
    const { tokens, clock, links: l } = await links();
    const { code } = l.issue();
    expect(await l.redeem(`${code.slice(0, -1)}${code.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    clock.advance(SIGN_IN_LINK_TTL_MS);
    expect(await l.redeem(code)).toBeNull();
    expect(await tokens.list()).toEqual([]);
  });
});
