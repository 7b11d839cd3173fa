// The `lifeboat` command's program: wires the command groups together, prints one-line errors and
// exits with a documented code. Both ways of starting it call runCli: the compiled modules
// (dist/cli/main.js) and the bundle (dist/bundle/main.cjs, which compiles this file's bundle with
// its code cache).

import { Command, CommanderError } from 'commander';
import { closeOpenedCores } from './context.js';
import { describeError, exitCodeFor, EXIT } from './common.js';
import { commandGroupsFor } from './command-groups.js';
import { VERSION } from '../version.js';
import { runInBackground } from '../util/background-priority.js';

/** The program with the command groups `argv` needs (all of them unless it names one). */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command();
  program
    .name('lifeboat')
    .description('Backups for Home Assistant installations, in Home Assistant\'s own format.')
    .version(VERSION, '-V, --version')
    .option('-c, --config <dir>', 'the installation (Home Assistant config folder); default $LIFEBOAT_CONFIG or the current folder')
    .option('-d, --data <dir>', "Lifeboat's data folder (keys, tokens, settings); default $LIFEBOAT_DATA, else $XDG_STATE_HOME/lifeboat/<config name>-<hash>")
    .option('-v, --verbose', 'print informational messages')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const group of commandGroupsFor(argv.slice(2))) (await group.load())(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  // Lifeboat is background work beside Home Assistant and its database: they come first.
  runInBackground();
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    await closeOpenedCores();
    return EXIT.ok;
  } catch (err) {
    await closeOpenedCores().catch(() => undefined);
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`lifeboat: ${describeError(err)}\n`);
    return exitCodeFor(err);
  }
}

/** Runs the command `argv` names and sets the process's exit code from it. */
export function runCli(argv: string[]): Promise<void> {
  return main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`lifeboat: ${describeError(err)}\n`);
      process.exitCode = EXIT.failure;
    },
  );
}
