// Damaged real backups, truncated and bit-flipped: whatever the damage, opening, unpacking and
// verifying a backup Lifeboat wrote (no password, SecureTar v2 and v3) writes nothing outside the
// output folder, never hangs, and fails with a typed BackupError that says what is wrong (or, for a
// cut after the inner archive, unpacks it complete). Each damaged copy is a file of its own, about
// 150 of them of about 2 MiB, each unpacked and verified: some 360 MiB written in all.

import { readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BackupReader } from '../../src/archive/backup-reader.js';
import { writeBackupFile } from '../../src/archive/backup-writer.js';
import { BackupError } from '../../src/util/errors.js';
import { endOfArchive, innerMemberHeader, paddingFor } from '../../src/archive/outer-tar.js';
import { padTo512 } from '../../src/archive/tar-header.js';
import { unpackBackup } from '../../src/archive/unpack.js';
import { verifyBackup } from '../../src/archive/verify.js';
import { ExcludeRules } from '../../src/source/exclude-rules.js';
import { walkInstallation } from '../../src/source/tree-walk.js';
import { flipByte, prng, seededBytes } from '../helpers/craft-archive.js';
import { describeError, expectNothingOutside, expectTypedError, failureOf, makeSandbox } from '../helpers/hostile-sandbox.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree, makeTree } from '../helpers/tree.js';

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
