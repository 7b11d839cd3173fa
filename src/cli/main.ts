#!/usr/bin/env node
// The `lifeboat` command: wires the command groups together, prints one-line errors and exits
// with a documented code.

import { Command, CommanderError } from 'commander';
import { registerArchiveCommands } from './archive-commands.js';
import { registerDemoCommands } from './demo-commands.js';
import { registerBackupCommands } from './backup-commands.js';
import { registerSettingsCommands } from './settings-commands.js';
import { registerServeCommand } from './serve-command.js';
import { registerTokenCommands } from './token-commands.js';
import { registerLocationCommands } from './location-commands.js';
import { closeOpenedApps } from './context.js';
import { registerMqttCommands } from './mqtt-commands.js';
import { describeError, exitCodeFor, EXIT } from './common.js';
import { VERSION } from '../version.js';

// Compression runs on the thread pool; leave room for file I/O next to it.
process.env.UV_THREADPOOL_SIZE ??= '8';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('lifeboat')
    .description('Backups for Home Assistant installations, in Home Assistant\'s own format.')
    .version(VERSION, '-V, --version')
    .option('-c, --config <dir>', 'the installation (Home Assistant config folder); default $LIFEBOAT_CONFIG or the current folder')
    .option('-d, --data <dir>', "Lifeboat's data folder; default $LIFEBOAT_DATA or <config>/.lifeboat")
    .option('-v, --verbose', 'print informational messages')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerBackupCommands(program);
  registerSettingsCommands(program);
  registerServeCommand(program);
  registerTokenCommands(program);
  registerLocationCommands(program);
  registerMqttCommands(program);
  registerArchiveCommands(program);
  registerDemoCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    await closeOpenedApps();
    return EXIT.ok;
  } catch (err) {
    await closeOpenedApps().catch(() => undefined);
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`lifeboat: ${describeError(err)}\n`);
    return exitCodeFor(err);
  }
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`lifeboat: ${describeError(err)}\n`);
    process.exitCode = EXIT.failure;
  },
);
