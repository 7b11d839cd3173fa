// The web UI keeps the answer to its latest ask: the server answers side by side, and an answer
// that an earlier ask gets late must not put older data (an old key fingerprint) back.

import { describe, expect, it } from 'vitest';
import { LatestAnswer } from '../../web/src/state/latest-answer.js';

/** An ask whose answer arrives when the test says so. */
function held<T>() {
  let answer!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (answer = resolve));
  return { ask: () => promise, answer };
}

describe('LatestAnswer', () => {
  it('keeps the later ask’s answer when the earlier one arrives last', async () => {
    const latest = new LatestAnswer();
    const used: string[] = [];
    const early = held<string>();
    const late = held<string>();
    const first = latest.take(early.ask, (a) => used.push(a));
    const second = latest.take(late.ask, (a) => used.push(a));
    late.answer('new key');
    await second;
    early.answer('old key');
    await first;
    expect(used).toEqual(['new key']);
  });

  it('uses every answer of asks made one after the other', async () => {
    const latest = new LatestAnswer();
    const used: string[] = [];
    await latest.take(async () => 'a', (a) => used.push(a));
    await latest.take(async () => 'b', (a) => used.push(a));
    expect(used).toEqual(['a', 'b']);
  });

  it('passes a failed ask’s error to its caller', async () => {
    const latest = new LatestAnswer();
    await expect(latest.take(() => Promise.reject(new Error('gone')), () => undefined)).rejects.toThrow('gone');
  });
});
