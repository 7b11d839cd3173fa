// The recorder-database test kit on real servers, MariaDB and PostgreSQL alike: the server starts
// with `hass` able to sign in over TCP and the socket, the recorder schema fills to a size, the
// table digests see every change down to one bit of a double and NULL against '', and the live
// writer commits ≥ 50 transactions a second whose rows any snapshot sees as a gap-free prefix.

import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSession } from '../helpers/db-session.js';
import { isConsistentPrefix, PROGRESS_TABLE, startDbWriter, writerRows, type DbWriterSummary, type WriterRows } from '../helpers/db-writer.js';
import { eventually } from '../helpers/eventually.js';
import { fillRecorder, tableDigests, type FillReport } from '../helpers/recorder-schema.js';
import type { DatabaseServer } from './database-server.js';
import * as mariadb from './mariadb.js';
import * as postgresql from './postgresql.js';

type Server = DatabaseServer;

/** The next larger double. */
function nextUp(x: number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  view.setBigUint64(0, view.getBigUint64(0) + (x >= 0 ? 1n : -1n));
  return view.getFloat64(0);
}

describe.each([
  // One ends with a crash (kill, then stop to clean up), the other with a shutdown.
  { name: 'MariaDB', start: (): Promise<Server> => mariadb.start(), crash: true },
  { name: 'PostgreSQL', start: (): Promise<Server> => postgresql.start(), crash: false },
])('a recorder database on $name', ({ name, start, crash }) => {
  let server: Server;
  let fill: FillReport;
  const p = (i: number) => (server.kind === 'mariadb' ? '?' : `$${i}`);

  beforeAll(async () => {
    const t0 = performance.now();
    server = await start();
    const started = performance.now() - t0;
    fill = await fillRecorder(server, { mib: 20 });
    console.log(
      `${name}: started in ${Math.round(started)} ms; filled ${(fill.bytes / 2 ** 20).toFixed(1)} MiB in ${fill.seconds.toFixed(1)} s (${(fill.bytes / 2 ** 20 / fill.seconds).toFixed(1)} MiB/s)`,
    );
  });
  afterAll(() => server?.stop());

  it('lets hass sign in with the password over TCP and over the socket, and holds about 20 MiB of recorder rows', async () => {
    for (const url of [server.url, server.socketUrl]) {
      const db = await openSession({ kind: server.kind, url });
      const [row] = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM states');
      await db.close();
      expect(Number(row!.n)).toBe(fill.rows.states);
    }
    expect(fill.bytes).toBeGreaterThanOrEqual(20 * 2 ** 20);
    expect(fill.bytes).toBeLessThan(32 * 2 ** 20); // InnoDB grows each index by whole extents
    expect(fill.rows.states).toBe(4 * fill.rows.state_attributes!);
    expect(fill.rows.events).toBeGreaterThan(1000);
    expect(fill.rows.statistics_short_term).toBe(2 * fill.rows.statistics!);
  });

  it('digests every table the same way twice, and tells one bit of a double and NULL from an empty string', async () => {
    const t0 = performance.now();
    const first = await tableDigests(server);
    const ms = performance.now() - t0;
    console.log(`${name}: digests of ${(fill.bytes / 2 ** 20).toFixed(1)} MiB in ${Math.round(ms)} ms`);
    expect(first.states!.rows).toBe(fill.rows.states);
    expect(await tableDigests(server)).toEqual(first);

    const [stat] = await server.query<{ mean: number }>('SELECT mean FROM statistics WHERE id = 2');
    const mean = stat!.mean;
    await server.query(`UPDATE statistics SET mean = ${p(1)} WHERE id = 2`, [nextUp(mean)]);
    const moved = await tableDigests(server);
    const [back] = await server.query<{ mean: number }>('SELECT mean FROM statistics WHERE id = 2');
    expect(back!.mean).toBe(nextUp(mean));
    expect(moved.statistics).not.toEqual(first.statistics);
    expect({ ...moved, statistics: first.statistics }).toEqual(first);

    await server.query(`UPDATE statistics SET mean = ${p(1)} WHERE id = 2`, [mean]);
    await server.query('UPDATE states SET state = NULL WHERE state_id = 3');
    const withNull = await tableDigests(server, { tables: ['states'] });
    await server.query("UPDATE states SET state = '' WHERE state_id = 3");
    const withEmpty = await tableDigests(server, { tables: ['states'] });
    expect(withNull.states).not.toEqual(withEmpty.states);
    expect((await tableDigests(server)).statistics).toEqual(first.statistics);
  });

  it('runs a writer at ≥ 50 commits/s whose rows a snapshot taken meanwhile sees as a consistent prefix', async () => {
    const writer = await startDbWriter(server);
    let during: WriterRows;
    let atStart: number;
    let summary: DbWriterSummary;
    try {
      atStart = await writer.start();
      const lastSeq = async () => Number((await server.query<{ s: number | string }>(`SELECT last_seq AS s FROM ${PROGRESS_TABLE} WHERE id = 1`))[0]!.s);
      await eventually(async () => (await lastSeq()) >= atStart + 60, 'the writer to commit 60 times', 10_000, 20);
      during = await writerRows(server);
      await eventually(async () => (await lastSeq()) >= atStart + 200, 'the writer to commit 200 times', 10_000, 20);
      await writer.end();
    } finally {
      summary = await writer.stop();
    }
    console.log(
      `${name}: writer ${summary.windowCommitsPerSecond.toFixed(0)} commits/s over ${Math.round(summary.windowMs)} ms, longest commit ${summary.windowMaxCommitMs.toFixed(1)} ms (whole run ${summary.maxCommitMs.toFixed(1)} ms), longest gap ${summary.windowMaxGapMs.toFixed(1)} ms, ${summary.errors} errors`,
    );
    expect(summary.errors).toBe(0);
    expect(summary.windowCommitsPerSecond).toBeGreaterThanOrEqual(50);
    expect(summary.commitsDuringWindow).toBeGreaterThanOrEqual(200);

    expect(during.lastSeq).toBeGreaterThanOrEqual(atStart + 60);
    expect(during.lastSeq).toBeLessThan(summary.lastSeq);
    expect(isConsistentPrefix(during)).toBe(true);
    const after = await writerRows(server);
    expect(after.lastSeq).toBe(summary.lastSeq);
    expect(isConsistentPrefix(after)).toBe(true);
  });

  it(crash ? 'kills the server, then removes its folder' : 'stops the server for good and removes its folder', async () => {
    const dataDir = server.dataDir;
    if (crash) {
      await server.kill();
      await expect(openSession(server)).rejects.toThrow();
      expect(existsSync(dataDir)).toBe(true);
    }
    await server.stop();
    expect(existsSync(dataDir)).toBe(false);
    await expect(openSession(server)).rejects.toThrow();
  });
});
