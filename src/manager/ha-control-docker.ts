// Home Assistant's Docker container stopped and started through the Docker Engine API on a unix
// socket (`--ha-container homeassistant`; in Lifeboat's own container, the host's
// /var/run/docker.sock mounted in), with dockerode, so no `docker` command is needed. Four
// endpoints of the Docker Engine API (docs.docker.com/reference/api/engine/, unchanged in shape
// for many versions, here as in v1.57): GET /version (its ApiVersion, which prefixes every other
// call, as the docker command negotiates it), GET /v{api}/containers/{name}/json (inspect: the
// container exists), POST /v{api}/containers/{name}/stop?t=<seconds> (Docker sends the stop
// signal, waits t seconds, then kills; 204 stopped, 304 was not running) and POST
// /v{api}/containers/{name}/start (204 started, 304 already running). What each failure means for
// the user — no socket, no permission, no such container — is said here.

import { z } from 'zod';
import type { Logger } from '../util/logger.js';
import { HaControlError, type HaControl } from './ha-control.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';
/** How long Home Assistant gets to shut down cleanly before Docker kills it. */
export const DEFAULT_STOP_TIMEOUT_SECONDS = 120;
/** How long any other request may take. */
const REQUEST_TIMEOUT_MS = 30_000;

/** The part of Docker's ContainerInspectResponse that is read. */
const ContainerInspectSchema = z.object({
  Id: z.string(),
  Name: z.string(),
  State: z.object({ Running: z.boolean(), Status: z.string() }),
});

/** The part of Docker's SystemVersion that is read. */
const VersionSchema = z.object({ ApiVersion: z.string().regex(/^\d+\.\d+$/) });

/** What docker-modem attaches to an error from a response with an unexpected status. */
const DockerErrorSchema = z.object({ statusCode: z.number(), json: z.unknown() });
/** Docker's ErrorResponse body. */
const ErrorResponseSchema = z.object({ message: z.string() });

export interface DockerControlOptions {
  container: string;
  socket?: string;
  stopTimeoutSeconds?: number;
  log: Logger;
}

type Step = 'check' | 'stop' | 'start';

const CODES: Record<Step, string> = {
  check: 'home_assistant_container_unavailable',
  stop: 'home_assistant_stop_failed',
  start: 'home_assistant_start_failed',
};

export function dockerControl(opts: DockerControlOptions): HaControl {
  const socket = opts.socket ?? DEFAULT_DOCKER_SOCKET;
  const name = opts.container;
  const stopSeconds = opts.stopTimeoutSeconds ?? DEFAULT_STOP_TIMEOUT_SECONDS;
  const target = `the container ${name}`;

  /** Turns what went wrong into a message that says what to do. */
  function explain(step: Step, err: unknown): HaControlError {
    const what = { check: `Cannot reach Home Assistant's container ${name}`, stop: `Could not stop ${target}`, start: `Could not start ${target}` }[step];
    const code = (err as NodeJS.ErrnoException).code;
    const uid = typeof process.getuid === 'function' ? process.getuid() : '?';
    let why: string;
    if (code === 'ENOENT') why = `there is no Docker socket at ${socket}; mount the host's socket into Lifeboat's container (-v /var/run/docker.sock:${socket}) or give its path with --docker-socket`;
    else if (code === 'EACCES' || code === 'EPERM') why = `the user Lifeboat runs as (uid ${uid}) may not use the Docker socket ${socket}; give Lifeboat the socket's group (compose: group_add) or run it as root`;
    else if (code === 'ECONNREFUSED') why = `nothing answers on the Docker socket ${socket}; is Docker running?`;
    else if ((err as Error).name === 'AbortError' || code === 'ABORT_ERR') why = `Docker did not answer in time`;
    else {
      const http = DockerErrorSchema.safeParse(err);
      if (http.success && http.data.statusCode === 404) why = `Docker knows no container named ${name} (docker ps -a lists them; give the name with --ha-container or LIFEBOAT_HA_CONTAINER)`;
      else if (http.success) {
        const body = ErrorResponseSchema.safeParse(http.data.json);
        why = `Docker answered ${http.data.statusCode}${body.success ? `: ${body.data.message}` : ''}`;
      }
      else why = (err as Error).message;
    }
    return new HaControlError(`${what}: ${why}`, CODES[step]);
  }

  let api: string | null = null;

  /** The container through a client that speaks the daemon's own API version (asked once). */
  async function container(step: Step) {
    // Loaded only when used: most commands never talk to Docker.
    const { default: Docker } = await import('dockerode');
    // `host: undefined` keeps a DOCKER_HOST in the environment from replacing the socket.
    if (api === null) {
      let answer: unknown;
      await call(
        step,
        async (signal) => {
          const client = new Docker({ socketPath: socket, host: undefined });
          // dockerode takes an abort signal here as everywhere; its type definitions leave it out.
          const version = client.version.bind(client) as (opts: { abortSignal: AbortSignal }) => Promise<unknown>;
          answer = await version({ abortSignal: signal });
        },
        REQUEST_TIMEOUT_MS,
      );
      const version = VersionSchema.safeParse(answer);
      if (!version.success) throw new HaControlError(`Cannot reach Home Assistant's container ${name}: ${socket} did not answer as the Docker Engine API does`, CODES[step]);
      api = version.data.ApiVersion;
    }
    return new Docker({ socketPath: socket, host: undefined, version: `v${api}` }).getContainer(name);
  }

  /** A request that resolves true, or false for 304 (already in the state asked for). */
  async function call(step: Step, request: (signal: AbortSignal) => Promise<unknown>, timeoutMs: number): Promise<boolean> {
    try {
      await request(AbortSignal.timeout(timeoutMs));
      return true;
    } catch (err) {
      if (DockerErrorSchema.safeParse(err).data?.statusCode === 304) return false;
      throw explain(step, err);
    }
  }

  return {
    target,
    async check() {
      const c = await container('check');
      let info: unknown;
      await call(
        'check',
        async (signal) => {
          info = await c.inspect({ abortSignal: signal });
        },
        REQUEST_TIMEOUT_MS,
      );
      const parsed = ContainerInspectSchema.safeParse(info);
      if (!parsed.success) throw new HaControlError(`Cannot reach Home Assistant's container ${name}: ${socket} did not answer as the Docker Engine API does`, CODES.check);
      opts.log.info(`Found Home Assistant's container ${name}`, { id: parsed.data.Id.slice(0, 12), status: parsed.data.State.Status, docker_api: api });
    },
    async stop() {
      const c = await container('stop');
      return call('stop', (signal) => c.stop({ t: stopSeconds, abortSignal: signal }), (stopSeconds + 30) * 1000);
    },
    async start() {
      const c = await container('start');
      await call('start', (signal) => c.start({ abortSignal: signal }), REQUEST_TIMEOUT_MS);
    },
  };
}
