// Lowering a thread's priority: only ever down, and never an error, whatever the platform says.
import { describe, expect, it } from 'vitest';
import { lowerThread, type Priorities } from '../../src/util/background-priority.js';

function fakeThreads(nice: Record<number, number>, fail: { get?: boolean; set?: boolean } = {}) {
  const set: [number, number][] = [];
  const os: Priorities = {
    getPriority: (id) => {
      if (fail.get) throw new Error('ESRCH');
      return nice[id] ?? 0;
    },
    setPriority: (id, value) => {
      if (fail.set) throw new Error('EACCES');
      set.push([id, value]);
    },
  };
  return { os, set };
}

describe('lowering a thread', () => {
  it('lowers a thread that runs at a higher priority', () => {
    const t = fakeThreads({ 5: 5 });
    lowerThread(5, 14, t.os);
    expect(t.set).toEqual([[5, 14]]);
  });

  it('never raises a thread that is already lower, nor sets one that is there', () => {
    const t = fakeThreads({ 5: 17, 6: 14 });
    lowerThread(5, 14, t.os);
    lowerThread(6, 14, t.os);
    expect(t.set).toEqual([]);
  });

  it('does not throw for a thread that has ended or a priority it may not set', () => {
    expect(() => lowerThread(5, 14, fakeThreads({}, { get: true }).os)).not.toThrow();
    expect(() => lowerThread(5, 14, fakeThreads({ 5: 0 }, { set: true }).os)).not.toThrow();
  });
});
