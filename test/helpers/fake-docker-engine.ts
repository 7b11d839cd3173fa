// A stand-in for the Docker Engine on a unix socket, for the tests of restores that stop and start
// Home Assistant's container. It answers exactly the endpoints Lifeboat calls, as the Docker Engine
// API v1.57 reference describes them (docs.docker.com/reference/api/engine/version/v1.57/):
//   GET  /version                          200 SystemVersion (ApiVersion "1.57")
//   GET  /v1.57/containers/{id}/json       ContainerInspect: 200 ContainerInspectResponse; 404
//   POST /v1.57/containers/{id}/stop?t=N   ContainerStop: 204 stopped; 304 already stopped; 404
//   POST /v1.57/containers/{id}/start      ContainerStart: 204 started; 304 already started; 404
// Errors carry the API's ErrorResponse body ({"message": "No such container: x"}); anything else
// is 404 {"message": "page not found"}, as the daemon answers it. Every call is recorded, with
// what `observe` returned when it arrived (the tests read the installation there, or act as
// Home Assistant would while it stops).

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export const FAKE_API_VERSION = '1.57';

export interface DockerCall<T> {
  method: string;
  /** The path without the version prefix, e.g. `/containers/homeassistant/stop`. */
  path: string;
  query: Record<string, string>;
  status: number;
  /** What `observe` returned when the call arrived. */
  seen: T;
}

interface FakeContainer {
  id: string;
  running: boolean;
}

export class FakeDockerEngine<T = undefined> {
  readonly calls: DockerCall<T>[] = [];
  /** Answers the next stop with this status and message instead of stopping (a daemon error). */
  failNextStop: { status: number; message: string } | null = null;
  private readonly containers = new Map<string, FakeContainer>();

  private constructor(
    private readonly server: Server,
    readonly socketPath: string,
    private readonly observe: (method: string, path: string) => T,
  ) {}

  /** Listens on `socketPath` with these containers (name → running). */
  static async start<T = undefined>(
    socketPath: string,
    containers: Record<string, { running: boolean }>,
    observe: (method: string, path: string) => T = () => undefined as T,
  ): Promise<FakeDockerEngine<T>> {
    let engine: FakeDockerEngine<T> | null = null;
    const server = createServer((req, res) => engine?.answer(req, res));
    engine = new FakeDockerEngine(server, socketPath, observe);
    for (const [name, c] of Object.entries(containers)) engine.containers.set(name, { id: randomBytes(32).toString('hex'), running: c.running });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
    return engine;
  }

  isRunning(name: string): boolean | undefined {
    return this.containers.get(name)?.running;
  }

  /** The calls as `METHOD path`, in order. */
  log(): string[] {
    return this.calls.map((c) => `${c.method} ${c.path}`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://docker');
    const path = url.pathname.replace(/^\/v\d+\.\d+(?=\/)/, '');
    const seen = this.observe(req.method ?? '', path);
    const send = (status: number, body?: unknown) => {
      this.calls.push({ method: req.method ?? '', path, query: Object.fromEntries(url.searchParams), status, seen });
      if (body === undefined) res.writeHead(status).end();
      else res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    req.resume();
    if (req.method === 'GET' && path === '/version') {
      send(200, { Version: '28.2.2', ApiVersion: FAKE_API_VERSION, MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' });
      return;
    }
    const m = /^\/containers\/([^/]+)\/(json|stop|start)$/.exec(path);
    const action = m?.[2];
    const name = decodeURIComponent(m?.[1] ?? '');
    const known = (req.method === 'GET' && action === 'json') || (req.method === 'POST' && (action === 'stop' || action === 'start'));
    if (!m || !known) {
      send(404, { message: 'page not found' });
      return;
    }
    const container = this.containers.get(name);
    if (!container) {
      send(404, { message: `No such container: ${name}` });
      return;
    }
    if (action === 'json') {
      send(200, {
        Id: container.id,
        Name: `/${name}`,
        State: { Status: container.running ? 'running' : 'exited', Running: container.running, Paused: false, Restarting: false, ExitCode: 0 },
        Config: { Image: 'ghcr.io/home-assistant/home-assistant:stable' },
      });
    } else if (action === 'stop') {
      if (this.failNextStop) {
        const failure = this.failNextStop;
        this.failNextStop = null;
        send(failure.status, { message: failure.message });
      } else if (!container.running) send(304);
      else {
        container.running = false;
        send(204);
      }
    } else if (container.running) send(304);
    else {
      container.running = true;
      send(204);
    }
  }
}
