// The libdeflate engine for tests that need it. The test set-up installs the library
// (scripts/test.sh), so its absence is a failure here, not a reason to skip.

import { libdeflate, type WholeDeflater } from '../../src/archive/libdeflate.js';

export function requireLibdeflate(): WholeDeflater {
  const engine = libdeflate();
  if (!engine) throw new Error('libdeflate could not be loaded (koffi and libdeflate.so.0; scripts/test.sh installs libdeflate0)');
  return engine;
}

/** Both compressors, for tests that run with each: [name, the engine parallel gzip is given]. */
export const ENGINES: [string, () => WholeDeflater | null][] = [
  ['libdeflate', requireLibdeflate],
  ['zlib', () => null],
];
