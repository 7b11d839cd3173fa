// What bin/lifeboat runs: the bundled program with its code cache (cached-program.ts).
// scripts/bundle.mjs builds this into dist/bundle/main.cjs, beside the program (cli.cjs); it only
// runs there. It is a CommonJS script, not an ES module, so that Node.js starts it without first
// setting up its ES module loader (about 10 ms of every command).

import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProgram } from './cached-program.js';

void loadProgram(dirname(fileURLToPath(import.meta.url))).program.runCli(process.argv);
