// The bundled program starts from V8's code cache only when that cache belongs to it: made from
// the same bytes (V8 itself compares only their length), whole (V8 stops the process on damaged
// data), and accepted by V8 (same V8, same flags). Each case runs in a fresh Node.js process, as
// a command does: within one process V8 keeps compiled scripts of its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_FILE, PROGRAM_FILE } from '../../src/cli/cached-program.js';
import { PROJECT_ROOT } from '../helpers/paths.js';

let dir: string;
let cacheOfOne: Buffer;

/** A program in the shape of src/cli/program.ts whose main() answers `answer`. */
const program = (answer: number) => `exports.main = async () => ${answer};\nexports.runCli = async () => {};\n`;

/** Loads the program in `dir` in a new process: which cache it used, what main() answered; `make` saves a cache. */
function load(flags: string[] = [], make = false): { cache: string; answer: number; status: number | null; stderr: string } {
  const loader = pathToFileURL(join(PROJECT_ROOT, 'src/cli/cached-program.ts')).href;
  const code = `const { loadProgram, CACHE_FILE } = await import(${JSON.stringify(loader)});
const loaded = loadProgram(${JSON.stringify(dir)});
const answer = await loaded.program.main([]);
if (${make}) (await import('node:fs')).writeFileSync(${JSON.stringify(join(dir, CACHE_FILE))}, loaded.makeCache());
process.stdout.write(JSON.stringify({ cache: loaded.cache, answer }));`;
  const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', code], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  const out = r.status === 0 ? (JSON.parse(r.stdout) as { cache: string; answer: number }) : { cache: '', answer: NaN };
  return { ...out, status: r.status, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-code-cache-'));
  writeFileSync(join(dir, PROGRAM_FILE), program(1));
  expect(load([], true)).toMatchObject({ cache: 'none', answer: 1, status: 0 });
  cacheOfOne = readFileSync(join(dir, CACHE_FILE));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bundled program and its code cache', () => {
  it('starts from the cache made from the same bytes under the same V8 flags', () => {
    writeFileSync(join(dir, CACHE_FILE), cacheOfOne);
    expect(load()).toMatchObject({ cache: 'used', answer: 1, status: 0 });
  });

  it('compiles the program afresh when its bytes changed, even to a source of the same length', () => {
    writeFileSync(join(dir, CACHE_FILE), cacheOfOne);
    writeFileSync(join(dir, PROGRAM_FILE), program(2));
    try {
      expect(load()).toMatchObject({ cache: 'none', answer: 2, status: 0 });
    } finally {
      writeFileSync(join(dir, PROGRAM_FILE), program(1));
    }
  });

  it('leaves a damaged or cut-off cache unused instead of stopping the process', () => {
    const flipped = Buffer.from(cacheOfOne);
    flipped.writeUInt8((flipped.at(-10) as number) ^ 1, flipped.length - 10);
    for (const damaged of [flipped, cacheOfOne.subarray(0, cacheOfOne.length - 1), cacheOfOne.subarray(0, 64)]) {
      writeFileSync(join(dir, CACHE_FILE), damaged);
      const r = load();
      expect(r.stderr).toBe('');
      expect(r).toMatchObject({ cache: 'none', answer: 1, status: 0 });
    }
  });

  it('runs without the cache when V8 refuses it (other V8 flags) or there is none', () => {
    writeFileSync(join(dir, CACHE_FILE), cacheOfOne);
    expect(load(['--stack-size=2000'])).toMatchObject({ cache: 'rejected', answer: 1, status: 0 });
    rmSync(join(dir, CACHE_FILE));
    expect(load()).toMatchObject({ cache: 'none', answer: 1, status: 0 });
  });
});
