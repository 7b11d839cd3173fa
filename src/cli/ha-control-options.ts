// The options that say how Home Assistant is stopped and started around a restore — its Docker
// container (`--ha-container`, also $LIFEBOAT_HA_CONTAINER) or the user's own commands — shared
// by `restore` and `serve` (whose restores from the web UI and the API use them).

import { Option, type Command } from 'commander';
import { DEFAULT_DOCKER_SOCKET, DEFAULT_STOP_TIMEOUT_SECONDS, type HaControlSpec } from '../core/types.js';
import { UsageError } from './common.js';

export interface HaControlOptions {
  haContainer?: string;
  dockerSocket: string;
  stopCommand?: string;
  startCommand?: string;
}

export function addHaControlOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--ha-container <name>',
        `Home Assistant's Docker container: stopped just before the files are swapped (Docker kills it after ${DEFAULT_STOP_TIMEOUT_SECONDS} s) and started again after, through the Docker Engine API; checked before the restore begins`,
      ).env('LIFEBOAT_HA_CONTAINER'),
    )
    .addOption(
      new Option('--docker-socket <path>', "the Docker Engine's socket for --ha-container (in a container: the host's socket mounted in)")
        .env('LIFEBOAT_DOCKER_SOCKET')
        .default(DEFAULT_DOCKER_SOCKET),
    )
    .option('--stop-command <cmd>', 'instead: a shell command run before the files are swapped (e.g. "systemctl stop home-assistant"); its failure aborts the restore')
    .option('--start-command <cmd>', 'and one run after the swap, also after a failed one (e.g. "systemctl start home-assistant")');
}

/**
 * The control the options ask for. Commands given on the command line replace a container named
 * only in the environment; a container named on the command line with commands is a mistake.
 */
export function haControlSpec(opts: HaControlOptions, cmd: Command): HaControlSpec | undefined {
  const commands = opts.stopCommand !== undefined || opts.startCommand !== undefined;
  const container = opts.haContainer || undefined; // an empty LIFEBOAT_HA_CONTAINER names none
  if (container && commands && cmd.getOptionValueSource('haContainer') !== 'env') {
    throw new UsageError('Use --ha-container or --stop-command/--start-command, not both');
  }
  if (commands) return { kind: 'commands', stop: opts.stopCommand, start: opts.startCommand };
  if (container) return { kind: 'docker', container, socket: opts.dockerSocket };
  return undefined;
}
