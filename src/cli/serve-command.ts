// `lifeboat serve`: the long-running Lifeboat for one installation (see serve-runner.ts). Only
// the options are defined here; the server and everything it needs are loaded when the command
// runs, so other commands start without them. SIGTERM/SIGINT abandon the current step cleanly (no
// partial files) and exit. Under the Supervisor (Home Assistant OS, the add-on) it runs as a Home
// Assistant app: see app-mode.ts.

import { Option, type Command } from 'commander';
import { AllowedHostSchema } from '../core/settings.js';
import { parseIntOption, parseSecondsOption, UsageError } from './common.js';
import { backupsOf, dataOf, globals, installationOf } from './context.js';
import { DEFAULT_HOST, DEFAULT_LIMITS, DEFAULT_PORT } from '../server/defaults.js';
import type { ServeOptions } from './serve-runner.js';
import { addHaControlOptions, haControlSpec, type HaControlOptions } from './ha-control-options.js';

function collectHost(value: string, previous: string[]): string[] {
  const parsed = AllowedHostSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--allowed-host ${value}: ${parsed.error.issues[0]?.message ?? 'not a host name'}`);
  return [...previous, parsed.data];
}

/** An option in seconds (fractions allowed), kept in milliseconds. */
function seconds(flag: string, description: string, defaultMs: number): Option {
  return new Option(`${flag} <seconds>`, description).argParser(parseSecondsOption(flag, 0.1, 3600)).default(defaultMs, String(defaultMs / 1000));
}

export function registerServeCommand(program: Command): void {
  const serve = program
    .command('serve')
    .description('run Lifeboat: the web UI and API, automatic backups on schedule, retention, notifications (stop with Ctrl-C or SIGTERM)')
    .addOption(
      new Option('--host <host>', 'address to listen on (use 0.0.0.0 to allow other machines; then also --allowed-host for the name they use)')
        .env('LIFEBOAT_HOST')
        .default(DEFAULT_HOST),
    )
    .addOption(new Option('--port <port>', 'port to listen on').env('LIFEBOAT_PORT').argParser(parseIntOption('--port', 0, 65535)).default(DEFAULT_PORT))
    .addOption(
      new Option(
        '--allowed-host <name>',
        "a name the server answers to besides localhost, 127.0.0.1, ::1 and the --host address, e.g. lifeboat.lan or a reverse proxy's name (repeatable; also the allowed_hosts setting). Requests for other names are refused (421), against DNS rebinding",
      )
        .argParser(collectHost)
        .default([] as string[], 'none'),
    )
    .option('--max-upload-gib <n>', 'largest backup upload accepted', parseIntOption('--max-upload-gib', 1, 1024), 64)
    .addOption(seconds('--headers-timeout', 'time a client has to send its request headers', DEFAULT_LIMITS.headersTimeoutMs))
    .addOption(seconds('--idle-timeout', 'a request body (an upload included) that stops arriving for this long is abandoned', DEFAULT_LIMITS.bodyIdleTimeoutMs))
    .option(
      '--min-upload-rate <bytes>',
      'an upload slower than this many bytes per second (averaged over each idle timeout) is abandoned, so it cannot hold the backup lock',
      parseIntOption('--min-upload-rate', 0, 1024 ** 3),
      DEFAULT_LIMITS.minUploadBytesPerSecond,
    )
    .option('--sign-in-link', 'print a link that signs the web UI in once, within 15 minutes, without a token (it creates one for that browser)')
    .addOption(seconds('--auth-timeout', 'time a WebSocket client has to send its auth message', DEFAULT_LIMITS.wsAuthTimeoutMs))
    .addOption(
      new Option(
        '--ingress-proxy <address>',
        "serve through Home Assistant's ingress: answer only this address (repeatable), signing in the Home Assistant user it names; default $LIFEBOAT_INGRESS_PROXY, and 172.30.32.2 under the Supervisor",
      )
        .argParser((value: string, previous: string[]) => [...previous, value])
        .default([] as string[], 'none'),
    );
  addHaControlOptions(serve)
    .addHelpText('after', '\n--ha-container and the stop/start commands apply to restores started from the web UI and the API (under the Supervisor, Home Assistant is stopped and started through it unless they are given).')
    .action(async (opts: ServeOptions & HaControlOptions, cmd: Command) => {
      const g = globals(cmd);
      const homeAssistant = haControlSpec(opts, cmd);
      const [{ serveApi, startServe }, { AppMode, appEnvironment, ingressProxies, pinoLevel }] = await Promise.all([import('./serve-runner.js'), import('./app-mode.js')]);
      const env = appEnvironment();
      const app = env ? await AppMode.load(env) : null;
      if (app && !process.env.LIFEBOAT_LOG_LEVEL) process.env.LIFEBOAT_LOG_LEVEL = pinoLevel(app.options.log_level);
      const handle = await startServe({
        installation: installationOf(g),
        data: dataOf(g),
        backups: backupsOf(),
        app,
        homeAssistant,
        extra: serveApi({ ...opts, ingressProxy: ingressProxies(opts.ingressProxy, env) }, app),
      });
      await new Promise<void>((resolveStop) => {
        const onSignal = () => void handle.stop().then(resolveStop);
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
    });
}
