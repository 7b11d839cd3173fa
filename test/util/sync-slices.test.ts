// Pacing of synchronous file-system work: the event loop gets a turn once a slice is used up, and
// not before.
import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/util/sync-slices.js';

describe('Pacer', () => {
  it('lets the event loop run (a pending setImmediate fires) once its slice is used up', async () => {
    const pacer = new Pacer(0);
    let ran = false;
    setImmediate(() => (ran = true));
    const turn = pacer.pace();
    expect(turn).toBeInstanceOf(Promise);
    await turn;
    expect(ran).toBe(true);
  });

  it('does not yield while the slice has time left', () => {
    const pacer = new Pacer(60_000);
    expect(pacer.pace()).toBeUndefined();
    expect(pacer.pace()).toBeUndefined();
  });
});
