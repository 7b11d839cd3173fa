// What bin/lifeboat runs: the bundled program with its code cache (cached-program.ts).
// scripts/bundle.mjs builds this into dist/bundle/main.js, beside the program (cli.cjs); it only
// runs there.

import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProgram } from './cached-program.js';

void loadProgram(dirname(fileURLToPath(import.meta.url))).program.runCli(process.argv);
