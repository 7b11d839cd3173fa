// Hostile archives: whatever an archive contains, unpacking writes nothing outside the output
// folder, never hangs, and fails with a typed BackupError that says what is wrong. Each attempt runs
// in a sandbox (helpers/hostile-sandbox.ts); damaged real backups, truncated and bit-flipped, are
// tested in damaged-backups.system.test.ts.

import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BackupReader } from '../../src/archive/backup-reader.js';
import type { ByteSource } from '../../src/archive/byte-source.js';
import { readTarEntries } from '../../src/archive/inner-tar-reader.js';
import { extractEntries } from '../../src/archive/safe-extract.js';
import { unpackBackup } from '../../src/archive/unpack.js';
import { verifyBackup } from '../../src/archive/verify.js';
import { fromBuffers } from '../../src/util/chunks.js';
import {
  TYPE,
  backupJsonBytes,
  craftBackup,
  craftBackupWithMembers,
  craftOuterTar,
  craftTar,
  craftTarGz,
  seededBytes,
  type CraftEntry,
} from '../helpers/craft-archive.js';
import {
  AttemptTimedOut,
  FAR_ESCAPE,
  describeError,
  expectNothingOutside,
  expectTypedError,
  failureOf,
  findNamed,
  makeSandbox,
  type Sandbox,
} from '../helpers/hostile-sandbox.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';

// ---------------------------------------------------------------------------------------------
// Crafted backup files

let fileCounter = 0;
let filesDir = '';
async function backupFile(bytes: Buffer): Promise<string> {
  filesDir ||= await tmpDir('lifeboat-hostile-files-');
  const path = join(filesDir, `crafted-${fileCounter++}.tar`);
  await writeFile(path, bytes);
  return path;
}

async function unpackFile(path: string, out: string, secret: string | null): Promise<void> {
  const reader = await BackupReader.open(path);
  try {
    await unpackBackup(reader, out, secret);
  } finally {
    await reader.close();
  }
}

type Mode = 'unpackBackup' | 'extractEntries';
const MODES: Mode[] = ['unpackBackup', 'extractEntries'];

/**
 * Unpacks the entries as the inner archive of a backup file (unpackBackup) or extracts them
 * directly (extractEntries into the same `out/homeassistant` folder). Returns the error.
 */
async function attempt(mode: Mode, sb: Sandbox, entries: CraftEntry[]): Promise<unknown> {
  if (mode === 'unpackBackup') {
    const path = await backupFile(craftBackup(entries));
    return failureOf(() => unpackFile(path, sb.out, null), mode);
  }
  const tar = craftTar(entries);
  return failureOf(() => extractEntries(readTarEntries(fromBuffers(tar)), { target: sb.target }), mode);
}

interface HostileCase {
  name: string;
  entries: (sb: Sandbox) => CraftEntry[];
}

/** The relative path from the folder holding `data/...` entries to the sandbox's outside folder. */
const relToOutside = (sb: Sandbox) => relative(join(sb.target, 'data'), sb.outside);

// ---------------------------------------------------------------------------------------------
// Path traversal, links and special files in the inner archive

describe.each(MODES)('hostile inner archive entries (%s)', (mode) => {
  const climbing: HostileCase[] = [
    { name: 'data/../../escape.txt', entries: () => [{ name: 'data/../../escape.txt', data: 'escaped' }] },
    { name: 'data/../../../escape.txt (lands next to out/)', entries: () => [{ name: 'data/../../../escape.txt', data: 'escaped' }] },
    { name: 'data/../../../outside/escape.txt', entries: () => [{ name: 'data/../../../outside/escape.txt', data: 'escaped' }] },
    { name: 'data/../../../../<far>', entries: () => [{ name: `data/../../../../${FAR_ESCAPE}`, data: 'escaped' }] },
    { name: '../escape.txt', entries: () => [{ name: '../escape.txt', data: 'escaped' }] },
    { name: 'data/sub/../../../../escape.txt after a real file', entries: () => [{ name: 'data/ok.txt', data: 'ok' }, { name: 'data/sub/../../../../escape.txt', data: 'escaped' }] },
    { name: 'a directory entry data/../../..', entries: () => [{ name: 'data/../../../escape.txt/', type: TYPE.directory }] },
  ];

  it.each(climbing)('refuses an entry that climbs out with .. ($name)', async ({ entries }) => {
    const sb = await makeSandbox();
    const err = await attempt(mode, sb, entries(sb));
    expectTypedError(err, 'unsafe_archive_entry', mode);
    await expectNothingOutside(sb);
    expect(await findNamed(sb.out, 'escape.txt')).toEqual([]);
  });

  it('refuses an entry with an absolute path', async () => {
    const sb = await makeSandbox();
    const err = await attempt(mode, sb, [{ name: join(sb.outside, 'escape.txt'), data: 'escaped' }]);
    expectTypedError(err, 'unsafe_archive_entry', mode);
    await expectNothingOutside(sb);
    expect(await findNamed(sb.out, 'escape.txt')).toEqual([]);
  });

  it('refuses an absolute path even when it points inside the output folder', async () => {
    const sb = await makeSandbox();
    const err = await attempt(mode, sb, [{ name: join(sb.target, 'data', 'inside.txt'), data: 'x' }]);
    expectTypedError(err, 'unsafe_archive_entry', mode);
    await expectNothingOutside(sb);
  });

  const throughSymlink: HostileCase[] = [
    {
      name: 'absolute target, then a file below it',
      entries: (sb) => [
        { name: 'data/link', type: TYPE.symlink, linkname: sb.outside },
        { name: 'data/link/pwned.txt', data: 'pwned' },
      ],
    },
    {
      name: 'absolute target, then a folder and a file below it',
      entries: (sb) => [
        { name: 'data/link', type: TYPE.symlink, linkname: sb.outside },
        { name: 'data/link/', type: TYPE.directory },
        { name: 'data/link/sub/pwned.txt', data: 'pwned' },
      ],
    },
    {
      name: 'relative target ../../outside (as written)',
      entries: () => [
        { name: 'data/link', type: TYPE.symlink, linkname: '../../outside' },
        { name: 'data/link/pwned.txt', data: 'pwned' },
      ],
    },
    {
      name: 'relative target that reaches the sandbox outside folder',
      entries: (sb) => [
        { name: 'data/link', type: TYPE.symlink, linkname: relToOutside(sb) },
        { name: 'data/link/pwned.txt', data: 'pwned' },
      ],
    },
    {
      name: 'relative target, then a hard link below it',
      entries: (sb) => [
        { name: 'data/f.txt', data: 'f' },
        { name: 'data/link', type: TYPE.symlink, linkname: relToOutside(sb) },
        { name: 'data/link/pwned.txt', type: TYPE.hardLink, linkname: 'data/f.txt' },
      ],
    },
    {
      name: 'symlinked parent two levels up',
      entries: (sb) => [
        { name: 'data/a', type: TYPE.symlink, linkname: sb.root },
        { name: 'data/a/outside/pwned.txt', data: 'pwned' },
      ],
    },
  ];

  it.each(throughSymlink)('never writes through a symlink the archive created ($name)', async ({ entries }) => {
    const sb = await makeSandbox();
    const err = await attempt(mode, sb, entries(sb));
    expectTypedError(err, 'unsafe_archive_entry', mode);
    await expectNothingOutside(sb);
    expect(existsSync(join(sb.outside, 'pwned.txt'))).toBe(false);
  });

  it('never overwrites the file a symlink in the archive points at', async () => {
    const sb = await makeSandbox();
    const err = await attempt(mode, sb, [
      { name: 'data/link', type: TYPE.symlink, linkname: sb.secret },
      { name: 'data/link', data: 'overwritten' },
      { name: 'data/rel', type: TYPE.symlink, linkname: join(relToOutside(sb), 'secret.txt') },
      { name: 'data/rel', data: 'overwritten' },
    ]);
    // Replacing the link is allowed; following it is not.
    if (err !== null) expectTypedError(err, 'unsafe_archive_entry', mode);
    await expectNothingOutside(sb);
  });

  const hardLinksOut: HostileCase[] = [
    { name: '../../outside/secret.txt', entries: () => [{ name: 'data/hl', type: TYPE.hardLink, linkname: '../../outside/secret.txt' }] },
    { name: 'relative path that reaches the outside file', entries: (sb) => [{ name: 'data/hl', type: TYPE.hardLink, linkname: `data/${relToOutside(sb)}/secret.txt` }] },
    { name: 'absolute path', entries: (sb) => [{ name: 'data/hl', type: TYPE.hardLink, linkname: sb.secret }] },
    {
      name: 'absolute path, after a regular file',
      entries: (sb) => [
        { name: 'data/hl', data: 'mine' },
        { name: 'data/hl2', type: TYPE.hardLink, linkname: sb.secret },
      ],
    },
  ];

  it.each(hardLinksOut)('refuses a hard link to a file outside the output folder ($name)', async ({ entries }) => {
    const sb = await makeSandbox();
    const err = await attempt(mode, sb, entries(sb));
    expectTypedError(err, 'unsafe_archive_entry', mode);
    await expectNothingOutside(sb);
    expect(await findNamed(sb.out, 'hl2')).toEqual([]);
  });

  const hardLinksUnknown: HostileCase[] = [
    { name: 'a path the archive never had', entries: () => [{ name: 'data/hl', type: TYPE.hardLink, linkname: 'data/never.txt' }] },
    {
      name: 'a file that only comes later',
      entries: () => [
        { name: 'data/hl', type: TYPE.hardLink, linkname: 'data/later.txt' },
        { name: 'data/later.txt', data: 'later' },
      ],
    },
    {
      name: 'a folder from the archive',
      entries: () => [
        { name: 'data/dir/', type: TYPE.directory },
        { name: 'data/hl', type: TYPE.hardLink, linkname: 'data/dir' },
      ],
    },
    {
      name: 'a symlink from the archive that points outside',
      entries: (sb) => [
        { name: 'data/sl', type: TYPE.symlink, linkname: sb.secret },
        { name: 'data/hl', type: TYPE.hardLink, linkname: 'data/sl' },
      ],
    },
  ];

  it.each(hardLinksUnknown)('refuses a hard link to something it did not extract as a file ($name)', async ({ entries }) => {
    const sb = await makeSandbox();
    const err = await attempt(mode, sb, entries(sb));
    expectTypedError(err, 'unsafe_archive_entry', mode);
    await expectNothingOutside(sb);
    expect(existsSync(join(sb.target, 'data', 'hl'))).toBe(false);
  });

  it.each([
    ['character device', TYPE.charDevice],
    ['block device', TYPE.blockDevice],
    ['FIFO', TYPE.fifo],
  ])('refuses a %s entry and creates no special file', async (_kind, type) => {
    const sb = await makeSandbox();
    const err = await attempt(mode, sb, [
      { name: 'data/ok.txt', data: 'ok' },
      { name: 'data/special', type, patch: (h) => h.write('0000001\u0000', 329, 'ascii') },
    ]);
    expectTypedError(err, 'unsafe_archive_entry', mode);
    await expectNothingOutside(sb);
    expect(existsSync(join(sb.target, 'data', 'special'))).toBe(false);
  });

  const paxEscapes: HostileCase[] = [
    { name: 'PAX path=../escape.txt', entries: () => [{ name: 'data/innocent.txt', data: 'x', pax: { path: '../escape.txt' } }] },
    { name: 'PAX path=data/../../../escape.txt', entries: () => [{ name: 'data/innocent.txt', data: 'x', pax: { path: 'data/../../../escape.txt' } }] },
    { name: 'PAX path absolute', entries: (sb) => [{ name: 'data/innocent.txt', data: 'x', pax: { path: join(sb.outside, 'escape.txt') } }] },
    { name: 'GNU long name climbing out', entries: () => [{ name: 'data/innocent.txt', data: 'x', gnuLongName: 'data/../../../escape.txt' }] },
    {
      name: 'PAX linkpath of a hard link climbing out',
      entries: () => [{ name: 'data/hl', type: TYPE.hardLink, linkname: 'data/innocent.txt', pax: { linkpath: '../../../outside/secret.txt' } }],
    },
  ];

  it.each(paxEscapes)('refuses a name from an extended header that escapes ($name)', async ({ entries }) => {
    const sb = await makeSandbox();
    const err = await attempt(mode, sb, entries(sb));
    expectTypedError(err, 'unsafe_archive_entry', mode);
    await expectNothingOutside(sb);
    expect(await findNamed(sb.out, 'escape.txt')).toEqual([]);
    expect(await findNamed(sb.out, 'innocent.txt')).toEqual([]);
  });
});

describe('hostile backups with several inner archives', () => {
  it('a second inner archive cannot write through a symlink left by the first', async () => {
    const sb = await makeSandbox();
    // homeassistant.tar and homeassistant.tar.gz both unpack into out/homeassistant.
    const path = await backupFile(
      craftBackupWithMembers([
        { name: 'homeassistant.tar', data: craftTar([{ name: 'data/link', type: TYPE.symlink, linkname: sb.outside }]) },
        { name: 'homeassistant.tar.gz', data: craftTarGz([{ name: 'data/link/pwned.txt', data: 'pwned' }]) },
      ]),
    );
    const err = await failureOf(() => unpackFile(path, sb.out, null), 'unpack');
    expectTypedError(err, 'unsafe_archive_entry', 'unpack');
    await expectNothingOutside(sb);
  });

  it('a second inner archive replaces, never follows, a symlink to an outside file', async () => {
    const sb = await makeSandbox();
    const path = await backupFile(
      craftBackupWithMembers([
        { name: 'homeassistant.tar', data: craftTar([{ name: 'data/link', type: TYPE.symlink, linkname: sb.secret }]) },
        { name: 'homeassistant.tar.gz', data: craftTarGz([{ name: 'data/link', data: 'overwritten' }]) },
      ]),
    );
    const err = await failureOf(() => unpackFile(path, sb.out, null), 'unpack');
    if (err !== null) expectTypedError(err, 'unsafe_archive_entry', 'unpack');
    await expectNothingOutside(sb);
  });

  it('ignores outer members whose names would leave the output folder', async () => {
    const sb = await makeSandbox();
    const inner = craftTarGz([{ name: 'data/x.txt', data: 'x' }]);
    const path = await backupFile(
      craftBackupWithMembers([
        { name: '../outside.tar.gz', data: inner },
        { name: 'x.tar.gz', data: inner, pax: { path: `${sb.outside}/abs.tar.gz` } },
        { name: 'y.tar.gz', data: inner, pax: { path: '../../escape.tar.gz' } },
      ]),
    );
    const err = await failureOf(() => unpackFile(path, sb.out, null), 'unpack');
    expect(err, describeError(err)).toBeNull();
    await expectNothingOutside(sb);
    expect(Object.keys(await describeTree(sb.out))).toEqual(['backup.json']);
  });
});


// ---------------------------------------------------------------------------------------------
// Files that are not backups at all

describe('files that are not tar archives', () => {
  const cases: [string, () => Buffer, string[]][] = [
    ['an empty file', () => Buffer.alloc(0), ['invalid_backup']],
    ['100 random bytes', () => seededBytes(1, 100), ['archive_truncated', 'invalid_backup']],
    ['512 random bytes', () => seededBytes(2, 512), ['invalid_backup']],
    ['64 KiB of random bytes', () => seededBytes(3, 65_536), ['invalid_backup']],
    ['a block of zeros', () => Buffer.alloc(10_240), ['invalid_backup']],
    ['a text file', () => Buffer.from('homeassistant:\n  name: not a backup\n'.repeat(40)), ['invalid_backup']],
  ];

  it.each(cases)('refuses %s with a typed error when opened', async (what, bytes, codes) => {
    const path = await backupFile(bytes());
    const opened: { reader?: BackupReader } = {};
    const err = await failureOf(async () => {
      opened.reader = await BackupReader.open(path);
    }, what);
    await opened.reader?.close();
    expectTypedError(err, codes, what);
  });

  // A bare gzip or SecureTar file is read as a one-member backup (an inner archive taken out of a
  // backup), so a gzip file may open; it is still never accepted as a backup, and its content
  // goes through the same safe extraction.
  it.each([
    ['gzip-compressed random bytes', () => gzipSync(seededBytes(4, 20_000)), ['archive_corrupt']],
    ['a gzip-compressed backup tar', () => gzipSync(craftOuterTar([{ name: './backup.json', data: backupJsonBytes() }])), null],
    ['a gzip-compressed tar with an entry that climbs out', () => craftTarGz([{ name: 'data/../../../escape.txt', data: 'escaped' }]), ['unsafe_archive_entry']],
  ] as const)('never takes %s for a backup', async (what, bytes, unpackCodes) => {
    const path = await backupFile(bytes());
    const opened: { reader?: BackupReader } = {};
    const openErr = await failureOf(async () => {
      opened.reader = await BackupReader.open(path);
    }, what);
    if (!opened.reader) {
      expectTypedError(openErr, 'invalid_backup', what);
      return;
    }
    const reader = opened.reader;
    const sb = await makeSandbox();
    try {
      let err: unknown = null;
      try {
        void reader.backup;
      } catch (e) {
        err = e;
      }
      expectTypedError(err, 'invalid_backup', `${what}: backup`);
      const unpackErr = await failureOf(() => unpackBackup(reader, sb.out, null), `${what}: unpack`);
      if (unpackCodes) expectTypedError(unpackErr, unpackCodes, `${what}: unpack`);
      else expect(unpackErr, describeError(unpackErr)).toBeNull();
    } finally {
      await reader.close();
    }
    await expectNothingOutside(sb);
    expect(await findNamed(sb.out, 'escape.txt')).toEqual([]);
  });

  it('a tar without backup.json opens but is not accepted as a backup', async () => {
    const path = await backupFile(craftOuterTar([{ name: 'notes.txt', data: Buffer.from('hello') }]));
    const reader = await BackupReader.open(path);
    try {
      let err: unknown = null;
      try {
        void reader.backup;
      } catch (e) {
        err = e;
      }
      expectTypedError(err, 'invalid_backup', 'backup');
      expect((await verifyBackup(reader, null)).problems.length).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed fields: refused with a typed error (never an untyped one, never a loop), or — where
// the field is harmless, like an unreadable mtime — tolerated, always staying inside the folder.

/** An in-memory byte source that gives up after a generous number of reads (a loop guard). */
class GuardedSource implements ByteSource {
  reads = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly maxReads = 10_000,
  ) {}
  get size() {
    return this.bytes.length;
  }
  async read(position: number, length: number): Promise<Buffer> {
    if (++this.reads > this.maxReads) throw new Error(`more than ${this.maxReads} reads of a ${this.bytes.length}-byte file: the reader loops`);
    return this.bytes.subarray(Math.max(0, position), Math.max(0, position + length));
  }
  async close(): Promise<void> {}
}

describe('hostile archives with malformed fields', () => {
  const malformedInner: HostileCase[] = [
    { name: 'ustar size field that is not octal', entries: () => [{ name: 'data/a', data: 'x', patch: (h) => h.write('99999999999\u0000', 124, 'ascii') }] },
    { name: 'PAX size record that is not a number', entries: () => [{ name: 'data/a', data: 'x', pax: { size: 'abc' } }] },
    { name: 'PAX header larger than 4 MiB', entries: () => [{ name: 'data/a', data: 'x', pax: { comment: 'x'.repeat(5 << 20) } }] },
    { name: 'symlink with an empty target', entries: () => [{ name: 'data/l', type: TYPE.symlink, linkname: '' }] },
    { name: 'symlink target containing NUL', entries: () => [{ name: 'data/l', type: TYPE.symlink, linkname: 'x', pax: { linkpath: 'a\u0000b' } }] },
    {
      name: 'hard link over a folder of the archive',
      entries: () => [
        { name: 'data/d/', type: TYPE.directory },
        { name: 'data/f', data: 'x' },
        { name: 'data/d', type: TYPE.hardLink, linkname: 'data/f' },
      ],
    },
    {
      name: 'hard link to itself',
      entries: () => [
        { name: 'data/f', data: 'x' },
        { name: 'data/f', type: TYPE.hardLink, linkname: 'data/f' },
      ],
    },
  ];

  it.each(malformedInner)('stays inside the output folder and finishes ($name)', async ({ entries }) => {
    const sb = await makeSandbox();
    const err = await attempt('unpackBackup', sb, entries(sb));
    if (err instanceof AttemptTimedOut) expect.fail(err.message);
    expect(err, 'the archive should be refused').not.toBeNull();
    await expectNothingOutside(sb);
  });

  it.each(malformedInner)('fails with a typed error ($name)', async ({ entries }) => {
    const sb = await makeSandbox();
    const err = await attempt('unpackBackup', sb, entries(sb));
    expectTypedError(err, ['unsafe_archive_entry', 'archive_corrupt', 'archive_truncated', 'archive_limit_exceeded'], 'unpackBackup');
  });

  const harmless: HostileCase[] = [
    { name: 'mtime field that is not octal', entries: () => [{ name: 'data/a', data: 'x', patch: (h) => h.write('99999999999\u0000', 136, 'ascii') }] },
    {
      name: 'base-256 mtime beyond the Date range',
      entries: () => [{ name: 'data/a', data: 'x', patch: (h) => { h.fill(0xff, 136, 148); h[136] = 0x80; } }],
    },
  ];

  it.each(harmless)('tolerates an unreadable timestamp and keeps the content ($name)', async ({ entries }) => {
    const sb = await makeSandbox();
    const err = await attempt('unpackBackup', sb, entries(sb));
    expect(err).toBeNull();
    await expectNothingOutside(sb);
  });

  it('outer member named with a NUL stays inside the output folder', async () => {
    const sb = await makeSandbox();
    const inner = craftTarGz([{ name: 'data/a', data: 'x' }]);
    const path = await backupFile(craftBackupWithMembers([{ name: 'x.tar.gz', data: inner, pax: { path: 'a\u0000b.tar.gz' } }]));
    const err = await failureOf(() => unpackFile(path, sb.out, null), 'unpack');
    if (err instanceof AttemptTimedOut) expect.fail(err.message);
    await expectNothingOutside(sb);
  });

  it('does not treat an outer member named with a NUL as an inner archive', async () => {
    const sb = await makeSandbox();
    const inner = craftTarGz([{ name: 'data/a', data: 'x' }]);
    const path = await backupFile(craftBackupWithMembers([{ name: 'x.tar.gz', data: inner, pax: { path: 'a\u0000b.tar.gz' } }]));
    const reader = await BackupReader.open(path);
    try {
      expect(reader.innerArchives()).toEqual([]);
    } finally {
      await reader.close();
    }
  });

  it('outer PAX size record that is not a number fails with a typed error when opened', async () => {
    // Number('abc') is NaN; FileByteSource.read(NaN, 512) then throws a RangeError from Buffer.allocUnsafe.
    const path = await backupFile(
      craftBackupWithMembers([{ name: 'homeassistant.tar.gz', data: craftTarGz([{ name: 'data/a', data: 'x' }]), pax: { size: 'abc' } }]),
    );
    const opened: { reader?: BackupReader } = {};
    const err = await failureOf(async () => {
      opened.reader = await BackupReader.open(path);
    }, 'open');
    await opened.reader?.close();
    expectTypedError(err, ['invalid_backup', 'archive_corrupt', 'archive_truncated'], 'open');
  });

  it('outer PAX size record that is negative fails with a typed error instead of looping', async () => {
    // The member's data would end 1536 bytes before its header ends: the index steps back to the
    // PAX header and reads the same two headers forever (the guard stops it after 10 000 reads).
    const bytes = craftBackupWithMembers([{ name: 'homeassistant.tar.gz', data: craftTarGz([{ name: 'data/a', data: 'x' }]), pax: { size: '-1536' } }]);
    const err = await failureOf(() => BackupReader.fromSource(new GuardedSource(bytes)), 'open');
    expectTypedError(err, ['invalid_backup', 'archive_corrupt'], 'open');
  });
});
