#!/usr/bin/env node
// The `lifeboat` command, run from the compiled modules (`node dist/cli/main.js`, or the sources
// with tsx). bin/lifeboat runs the bundle instead (dist/bundle/main.cjs): the same program.

import { runCli } from './program.js';

void runCli(process.argv);
