// Loads the bundled program (dist/bundle/cli.cjs, one CommonJS script) with V8's code cache for it
// (cli.cache, made by `npm run build`), so that a command does not parse and compile the program
// afresh each time it starts: about 0.1 s of every command. Node.js 20 keeps no code cache for ES
// modules, which is why the bundle's program is a script compiled here with node:vm.
// The cache is used only if it was made from these very bytes and is whole — the file starts with
// the SHA-256 of the source it was made from and that of the V8 data after it, since V8 itself
// compares only the source's length and stops the process on damaged data — and if V8 accepts it
// (the same V8 and the same V8 flags). Otherwise the script is compiled as usual.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Script, constants } from 'node:vm';

export const PROGRAM_FILE = 'cli.cjs';
export const CACHE_FILE = 'cli.cache';
const DIGEST_BYTES = 32;
const HEADER_BYTES = 2 * DIGEST_BYTES;

function sha256(data: string | Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Whether the code cache was used: `none` when there is none for these bytes. */
export type CacheUse = 'used' | 'rejected' | 'none';

/** The program's exports (src/cli/program.ts). */
export interface ProgramExports {
  main(argv: string[]): Promise<number>;
  runCli(argv: string[]): Promise<void>;
}

export interface LoadedProgram {
  program: ProgramExports;
  cache: CacheUse;
  /** A code cache for these bytes, with what has been compiled so far (for `npm run build`). */
  makeCache(): Buffer;
}

/** The V8 data of the cache file at `path` if it is whole and was made from the source with this digest. */
function readCache(path: string, source: Buffer): Buffer | undefined {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch {
    return undefined;
  }
  if (file.length <= HEADER_BYTES || !file.subarray(0, DIGEST_BYTES).equals(source)) return undefined;
  const data = file.subarray(HEADER_BYTES);
  return file.subarray(DIGEST_BYTES, HEADER_BYTES).equals(sha256(data)) ? data : undefined;
}

/** Compiles and runs the bundled program in `dir`; it starts no command by itself. */
export function loadProgram(dir: string): LoadedProgram {
  const file = join(dir, PROGRAM_FILE);
  const bytes = readFileSync(file);
  const digest = sha256(bytes);
  // The bundle is ASCII (scripts/bundle.mjs checks it), so Latin-1 reads it exactly, and faster than UTF-8.
  const source = bytes.toString('latin1');
  const cachedData = readCache(join(dir, CACHE_FILE), digest);
  // CommonJS's own wrapper, on the source's first line, so that line numbers stay the file's.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as ProgramExports };
  const wrapper = script.runInThisContext() as (...args: unknown[]) => void;
  wrapper.call(module.exports, module.exports, createRequire(file), module, file, dir);
  return {
    program: module.exports,
    cache: cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used',
    makeCache: () => {
      const data = script.createCachedData();
      return Buffer.concat([digest, sha256(data), data]);
    },
  };
}
