// Hostile and damaged archives: whatever an archive contains, unpacking writes nothing outside the
// output folder, never hangs, and fails with a typed BackupError that says what is wrong.
//
// Each attempt runs in a sandbox holding the output folder next to an "outside" folder (with a
// secret file) and a sibling file; a listing of everything but the output folder is compared
// before and after.

import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { BackupReader } from '../../src/archive/backup-reader.js';
import { writeBackupFile } from '../../src/archive/backup-writer.js';
import type { ByteSource } from '../../src/archive/byte-source.js';
import { BackupError } from '../../src/util/errors.js';
import { readTarEntries } from '../../src/archive/inner-tar-reader.js';
import { endOfArchive, innerMemberHeader, paddingFor } from '../../src/archive/outer-tar.js';
import { extractEntries } from '../../src/archive/safe-extract.js';
import { padTo512 } from '../../src/archive/tar-header.js';
import { unpackBackup } from '../../src/archive/unpack.js';
import { verifyBackup } from '../../src/archive/verify.js';
import { ExcludeRules } from '../../src/source/exclude-rules.js';
import { walkInstallation } from '../../src/source/tree-walk.js';
import { fromBuffers } from '../../src/util/chunks.js';
import {
  TYPE,
  backupJsonBytes,
  craftBackup,
  craftBackupWithMembers,
  craftOuterTar,
  craftTar,
  craftTarGz,
  flipByte,
  prng,
  seededBytes,
  type CraftEntry,
} from '../helpers/craft-archive.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree, makeTree } from '../helpers/tree.js';

// ---------------------------------------------------------------------------------------------
// Harness

const ATTEMPT_TIMEOUT_MS = 5_000;
/** A name that would only exist above the sandbox if an entry climbed that far. */
const FAR_ESCAPE = `lifeboat-escape-${process.pid}.txt`;

class AttemptTimedOut extends Error {}

/** Runs `fn`; returns what it threw, or null. A run longer than the timeout counts as a hang. */
async function failureOf(fn: () => Promise<unknown>, what: string): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AttemptTimedOut(`${what} did not finish within ${ATTEMPT_TIMEOUT_MS} ms (hang)`)), ATTEMPT_TIMEOUT_MS);
  });
  try {
    await Promise.race([fn(), timeout]);
    return null;
  } catch (err) {
    return err;
  } finally {
    clearTimeout(timer);
  }
}

function describeError(err: unknown): string {
  if (err === null) return 'no error';
  if (err instanceof Error) return `${err.constructor.name}${(err as { code?: string }).code ? ` [${(err as { code?: string }).code}]` : ''}: ${err.message}`;
  return String(err);
}

/** Asserts a typed BackupError with one of the codes (never a hang, never an untyped error). */
function expectTypedError(err: unknown, codes: string | readonly string[], context: string): asserts err is BackupError {
  if (err instanceof AttemptTimedOut) expect.fail(`${context}: ${err.message}`);
  expect(err, `${context}: expected a typed error, got ${describeError(err)}`).toBeInstanceOf(BackupError);
  const allowed = typeof codes === 'string' ? [codes] : codes;
  expect(allowed, `${context}: unexpected ${describeError(err)}`).toContain((err as BackupError).code);
}

interface Sandbox {
  root: string;
  /** The output folder given to unpackBackup. */
  out: string;
  /** Where an inner archive's content goes (`out/homeassistant`); extractEntries uses it too. */
  target: string;
  outside: string;
  secret: string;
  sibling: string;
  before: Awaited<ReturnType<typeof listOutside>>;
}

const SECRET = 'top secret\n';

async function listOutside(root: string) {
  return describeTree(root, { ignore: ['out/'], mtimes: true });
}

async function makeSandbox(): Promise<Sandbox> {
  const root = await tmpDir('lifeboat-hostile-');
  const out = join(root, 'out');
  const outside = join(root, 'outside');
  await mkdir(out);
  await makeTree(outside, { 'secret.txt': SECRET, 'keep/me.txt': 'keep\n' });
  await writeFile(join(root, 'sibling.txt'), 'sibling\n');
  return {
    root,
    out,
    target: join(out, 'homeassistant'),
    outside,
    secret: join(outside, 'secret.txt'),
    sibling: join(root, 'sibling.txt'),
    before: await listOutside(root),
  };
}

/** Nothing but the output folder changed: no new, removed or modified file or link anywhere. */
async function expectNothingOutside(sb: Sandbox): Promise<void> {
  expect(await listOutside(sb.root)).toEqual(sb.before);
  const st = await lstat(sb.secret);
  expect(st.nlink, 'the outside file gained a hard link').toBe(1);
  expect(await readFile(sb.secret, 'utf8')).toBe(SECRET);
  expect(existsSync(join(sb.root, '..', FAR_ESCAPE)), 'an entry escaped above the sandbox').toBe(false);
}

/** Paths below `dir` whose last component is `name`. */
async function findNamed(dir: string, name: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return Object.keys(await describeTree(dir)).filter((p) => p.split('/').pop() === name);
}

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
// Damaged real backups: truncated and bit-flipped

type Kind = 'plain' | 'v2' | 'v3';
const KINDS: Kind[] = ['plain', 'v2', 'v3'];
const PASSWORD = 'pw';
const secretOf = (kind: Kind) => (kind === 'plain' ? null : PASSWORD);
const secureTarHeaderSize = (kind: Kind) => (kind === 'v2' ? 48 : kind === 'v3' ? 136 : 0);

interface Layout {
  size: number;
  jsonHeaderOffset: number;
  jsonDataOffset: number;
  jsonSize: number;
  innerName: string;
  innerHeaderOffset: number;
  innerDataOffset: number;
  innerSize: number;
  innerMtime: number;
}

interface Built {
  path: string;
  bytes: Buffer;
  layout: Layout;
  plaintextSize: number;
}

let sourceTree = '';
const built = new Map<Kind, Built>();

async function layoutOf(path: string): Promise<Layout> {
  const reader = await BackupReader.open(path);
  try {
    const json = reader.jsonMember;
    const inner = reader.homeAssistantArchive();
    if (!json || !inner) throw new Error('unexpected layout');
    return {
      size: reader.source.size,
      jsonHeaderOffset: json.headerOffset,
      jsonDataOffset: json.dataOffset,
      jsonSize: json.size,
      innerName: inner.name,
      innerHeaderOffset: inner.member.headerOffset,
      innerDataOffset: inner.member.dataOffset,
      innerSize: inner.member.size,
      innerMtime: inner.member.mtime,
    };
  } finally {
    await reader.close();
  }
}

beforeAll(async () => {
  sourceTree = join(await tmpDir('lifeboat-hostile-src-'), 'config');
  await makeTree(sourceTree, {
    'configuration.yaml': 'homeassistant:\n  name: Test\n',
    'automations.yaml': '[]\n',
    '.storage/core.config': JSON.stringify({ version: 1, data: { location_name: 'Home' } }),
    // A little over 2 MiB that does not compress: the inner archive spans three SecureTar v3
    // messages and three gzip blocks of 1 MiB, so damage lands in a first, a middle and a last one.
    'www/big.bin': seededBytes(0x5eed, 2 * 1024 * 1024 + 12_345),
    'custom_components/x/__init__.py': '# x\n',
    'home-assistant_v2.db': seededBytes(7, 4096),
    'config-link': { symlink: 'configuration.yaml' },
  });
  const dir = await tmpDir('lifeboat-hostile-backups-');
  for (const kind of KINDS) {
    const path = join(dir, `${kind}.tar`);
    const written = await writeBackupFile(path, {
      entries: walkInstallation({ root: sourceTree, rules: ExcludeRules.forBackup({ includeDatabase: true }) }),
      meta: {
        date: '2026-01-01T00:00:00.000000+00:00',
        name: 't',
        haVersion: '2026.9.0',
        instanceId: '0'.repeat(32),
        withAutomaticSettings: false,
        excludeDatabase: false,
      },
      password: secretOf(kind),
      secureTarVersion: kind === 'v2' ? 2 : 3,
    });
    built.set(kind, { path, bytes: await readFile(path), layout: await layoutOf(path), plaintextSize: written.plaintextSize });
  }
});

/** Seeded offsets in [lo, hi), distinct from `fixed`, topped up to `count` in total. */
function seededOffsets(seed: number, lo: number, hi: number, fixed: number[], count: number): number[] {
  const next = prng(seed);
  const set = new Set(fixed.filter((o) => o >= lo && o < hi));
  while (set.size < count && set.size < hi - lo) set.add(lo + Math.floor(next() * (hi - lo)));
  return [...set].sort((a, b) => a - b);
}

/** Opens, unpacks and verifies `path`, each step bounded in time; returns the unpack error. */
async function unpackDamaged(path: string, out: string, secret: string | null, context: string) {
  const opened: { reader?: BackupReader } = {};
  const openErr = await failureOf(async () => {
    opened.reader = await BackupReader.open(path);
  }, `${context}: open`);
  if (openErr !== null || !opened.reader) return { err: openErr, verifyProblems: null as BackupError[] | null };
  const r = opened.reader;
  try {
    const err = await failureOf(() => unpackBackup(r, out, secret), `${context}: unpack`);
    let problems: BackupError[] = [];
    const verifyErr = await failureOf(async () => {
      problems = (await verifyBackup(r, secret)).problems;
    }, `${context}: verify`);
    if (verifyErr !== null) expect.fail(`${context}: verifyBackup threw instead of reporting: ${describeError(verifyErr)}`);
    return { err, verifyProblems: problems };
  } finally {
    await r.close();
  }
}

describe.each(KINDS)('damaged backups (%s)', (kind) => {
  const TRUNCATION_CODES = ['archive_truncated', 'invalid_backup'];
  const CORRUPTION_CODES = [
    'archive_corrupt',
    'archive_truncated',
    'integrity_check_failed',
    'password_incorrect',
    'unsupported_securetar_version',
  ];

  it('unpacks and verifies cleanly when undamaged (control)', async () => {
    const b = built.get(kind) as Built;
    const sb = await makeSandbox();
    const { err, verifyProblems } = await unpackDamaged(b.path, sb.out, secretOf(kind), 'control');
    expect(err, describeError(err)).toBeNull();
    expect(verifyProblems).toEqual([]);
    expect(await describeTree(join(sb.target, 'data'))).toEqual(await describeTree(sourceTree));
    await expectNothingOutside(sb);
  });

  it('reports a truncated file with a typed error at ~20 offsets, never hanging', async () => {
    const b = built.get(kind) as Built;
    const L = b.layout;
    const innerEnd = L.innerDataOffset + L.innerSize;
    const stHeader = secureTarHeaderSize(kind);
    const fixed = [
      1, 100, 300, 511, // outer header of backup.json
      L.jsonDataOffset + 1, L.jsonDataOffset + (L.jsonSize >> 1), L.jsonDataOffset + L.jsonSize - 1, // backup.json
      L.innerHeaderOffset + 1, L.innerHeaderOffset + 700, L.innerHeaderOffset + 1100, L.innerDataOffset - 1, // inner member header
      L.innerDataOffset + 4, L.innerDataOffset + Math.max(stHeader, 10) - 1, // SecureTar / gzip header
      L.innerDataOffset + (L.innerSize >> 1), // mid-body
      innerEnd - 1000, innerEnd - 1, // just before the end of the inner archive
    ];
    const offsets = seededOffsets(0x7a11 + kind.length, 1, innerEnd, fixed, 22);
    expect(offsets.length).toBeGreaterThanOrEqual(20);
    const sb = await makeSandbox();
    const dir = await tmpDir('lifeboat-truncated-');
    for (const [i, at] of [0, ...offsets].entries()) {
      const path = join(dir, `t${at}.tar`);
      await writeFile(path, b.bytes.subarray(0, at));
      const context = `${kind} truncated at ${at} of ${L.size}`;
      const { err } = await unpackDamaged(path, join(sb.out, `t${i}`), secretOf(kind), context);
      expectTypedError(err, at === 0 ? 'invalid_backup' : TRUNCATION_CODES, context);
      await truncate(path, 0);
    }
    await expectNothingOutside(sb);
  });

  it('cut in the end-of-archive padding: either complete or a typed error', async () => {
    const b = built.get(kind) as Built;
    const L = b.layout;
    const innerEnd = L.innerDataOffset + L.innerSize;
    const offsets = [...new Set([innerEnd, innerEnd + 1, innerEnd + 511, L.size - 1024, L.size - 513, L.size - 512, L.size - 1])].filter(
      (o) => o >= innerEnd && o < L.size,
    );
    const sb = await makeSandbox();
    const dir = await tmpDir('lifeboat-truncated-tail-');
    const expected = await describeTree(sourceTree);
    for (const [i, at] of offsets.entries()) {
      const path = join(dir, `t${at}.tar`);
      await writeFile(path, b.bytes.subarray(0, at));
      const context = `${kind} truncated at ${at} of ${L.size} (after the inner archive)`;
      const out = join(sb.out, `t${i}`);
      const { err } = await unpackDamaged(path, out, secretOf(kind), context);
      if (err === null) expect(await describeTree(join(out, 'homeassistant', 'data')), context).toEqual(expected);
      else expectTypedError(err, TRUNCATION_CODES, context);
    }
    await expectNothingOutside(sb);
  });

  it('reports an inner archive cut short (outer header rewritten to match) with a typed error', async () => {
    const b = built.get(kind) as Built;
    const L = b.layout;
    const stHeader = secureTarHeaderSize(kind);
    const fixed = [1, 8, 9, 20, 31, 40, stHeader - 1, stHeader, stHeader + 5, stHeader + 16, stHeader + 600, L.innerSize >> 1, L.innerSize - 17, L.innerSize - 16, L.innerSize - 1];
    const cuts = seededOffsets(0xc075 + kind.length, 1, L.innerSize, fixed, 20);
    const sb = await makeSandbox();
    const dir = await tmpDir('lifeboat-cut-');
    for (const [i, cut] of cuts.entries()) {
      const end = L.innerDataOffset + padTo512(cut);
      const bytes = Buffer.concat([
        b.bytes.subarray(0, L.innerHeaderOffset),
        innerMemberHeader(L.innerName, cut, L.innerMtime),
        b.bytes.subarray(L.innerDataOffset, L.innerDataOffset + cut),
        paddingFor(cut),
        endOfArchive(end),
      ]);
      const path = join(dir, `c${cut}.tar`);
      await writeFile(path, bytes);
      const context = `${kind} inner archive cut to ${cut} of ${L.innerSize} bytes`;
      const { err, verifyProblems } = await unpackDamaged(path, join(sb.out, `c${i}`), secretOf(kind), context);
      expectTypedError(err, CORRUPTION_CODES, context);
      expect(verifyProblems?.length, `${context}: verify found nothing`).toBeGreaterThan(0);
      await truncate(path, 0);
    }
    await expectNothingOutside(sb);
  });

  it('detects one flipped byte at ~20 offsets inside the inner archive', async () => {
    const b = built.get(kind) as Built;
    const L = b.layout;
    const stHeader = secureTarHeaderSize(kind);
    // Bytes that reach the plaintext. SecureTar v2 pads to whole 16-byte blocks; when the plaintext
    // is a multiple of 16 the final block is pure padding that the reader drops, so a flip there is
    // harmless. Bytes 24–31 of the SecureTar header are reserved and not read.
    const used = kind === 'v2' ? stHeader + 16 * Math.ceil(b.plaintextSize / 16) : L.innerSize;
    const ignored = (rel: number) => kind !== 'plain' && rel >= 24 && rel < 32;
    const fixed =
      kind === 'plain'
        ? [0, 1, 2, 3, 4, 9, 10, 11, 500, L.innerSize >> 1, used - 8, used - 4, used - 1] // gzip header, deflate data, CRC, ISIZE
        : kind === 'v2'
          ? [0, 9, 12, 16, 23, 33, 47, stHeader, stHeader + 15, stHeader + 16, stHeader + 100, used >> 1, used - 17, used - 1]
          : [0, 9, 12, 16, 23, 33, 50, 70, 100, 120, 135, stHeader, stHeader + 1000, stHeader + (1 << 20) + 20, used >> 1, used - 17, used - 1];
    const offsets = seededOffsets(0xf11b + kind.length, 0, used, fixed, 22).filter((o) => !ignored(o));
    expect(offsets.length).toBeGreaterThanOrEqual(20);
    const sb = await makeSandbox();
    const dir = await tmpDir('lifeboat-flipped-');
    for (const [i, rel] of offsets.entries()) {
      const at = L.innerDataOffset + rel;
      const path = join(dir, `f${rel}.tar`);
      await writeFile(path, flipByte(b.bytes, at));
      const context = `${kind} byte ${rel} of the inner archive flipped`;
      const { err, verifyProblems } = await unpackDamaged(path, join(sb.out, `f${i}`), secretOf(kind), context);
      // v3 authenticates every body byte; its header fields fail the password check or the layout.
      const codes = kind === 'v3' && rel >= stHeader ? ['archive_corrupt'] : CORRUPTION_CODES;
      expectTypedError(err, codes, context);
      expect(verifyProblems, `${context}: could not even open`).not.toBeNull();
      expect(verifyProblems?.length, `${context}: verify found nothing`).toBeGreaterThan(0);
      for (const p of verifyProblems ?? []) expect(p).toBeInstanceOf(BackupError);
      await truncate(path, 0);
    }
    await expectNothingOutside(sb);
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
