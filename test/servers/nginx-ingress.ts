// Debian's nginx playing Home Assistant's ingress for tests of the add-on: on a free port of
// 127.0.0.1 it serves `/api/hassio_ingress/<random token>/…` by stripping the prefix and
// forwarding to Lifeboat from its own address (127.0.0.2, as the Supervisor's proxy connects from
// 172.30.32.2), with what Home Assistant and the Supervisor add — `X-Ingress-Path`,
// `X-Hass-Source`, `X-Forwarded-*` and the user in `X-Remote-User-Id`, `-Name`, `-Display-Name`
// (replacing any the browser sent) — and WebSockets passed through. Bodies and answers stream
// unbuffered, as with the add-on's `ingress_stream`. `/hassio/ingress/lifeboat` is a page that
// shows the app in an iframe, as Home Assistant's frontend does. down() and up() stop and start it
// in place, as the ingress goes away while Home Assistant Core is stopped.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startDaemon } from './net-helpers.js';

export interface IngressUserHeaders {
  id: string;
  name: string;
  displayName: string;
}

export interface NginxIngress {
  /** http://127.0.0.1:PORT — Home Assistant's address. */
  url: string;
  /** `/api/hassio_ingress/<token>` (no trailing slash), as X-Ingress-Path says it. */
  ingressPath: string;
  /** The app's address through ingress (ends with `/`). */
  appUrl: string;
  /** A page that frames the app, as Home Assistant's sidebar panel does. */
  panelUrl: string;
  /** The address nginx connects to Lifeboat from. */
  proxyAddress: string;
  /** nginx's error log, for a failing test's message. */
  errorLog(): Promise<string>;
  /** Stops nginx (every connection through it drops), keeping its configuration. */
  down(): Promise<void>;
  /** Starts it again where it was. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

/** Quotes a value for an nginx directive. */
const q = (value: string) => `"${value.replace(/["\\]/g, '\\$&')}"`;

export async function startNginxIngress(opts: { upstreamPort: number; user: IngressUserHeaders; proxyAddress?: string }): Promise<NginxIngress> {
  const proxyAddress = opts.proxyAddress ?? '127.0.0.2';
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-nginx-'));
  // Started as root, nginx's workers run as nobody: they must reach the page and the temp folders.
  await chmod(dir, 0o755);
  for (const sub of ['www', 'tmp']) await mkdir(join(dir, sub), { mode: 0o777 });
  await chmod(join(dir, 'tmp'), 0o777);
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  const ingressPath = `/api/hassio_ingress/${token}`;
  await writeFile(
    join(dir, 'www', 'panel.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>Lifeboat – Home Assistant</title>
<style>html,body{margin:0;height:100%}iframe{border:0;width:100%;height:100%;display:block}</style></head>
<body><iframe title="Lifeboat" src="${ingressPath}/"></iframe></body></html>\n`,
    { mode: 0o644 },
  );
  const tmp = (name: string) => join(dir, 'tmp', name);
  const errorLog = join(dir, 'error.log');
  const pidFile = join(dir, 'nginx.pid');
  const conf = join(dir, 'nginx.conf');
  await writeFile(
    conf,
    `daemon on;
pid ${pidFile};
error_log ${errorLog} warn;
worker_processes 1;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${tmp('body')};
  proxy_temp_path ${tmp('proxy')};
  fastcgi_temp_path ${tmp('fastcgi')};
  uwsgi_temp_path ${tmp('uwsgi')};
  scgi_temp_path ${tmp('scgi')};
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port};
    server_name _;
    client_max_body_size 0;
    location = /hassio/ingress/lifeboat {
      root ${join(dir, 'www')};
      default_type text/html;
      try_files /panel.html =404;
    }
    location ${ingressPath}/ {
      proxy_pass http://127.0.0.1:${opts.upstreamPort}/;
      proxy_bind ${proxyAddress};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $http_host;
      proxy_set_header X-Ingress-Path ${ingressPath};
      proxy_set_header X-Hass-Source core.ingress;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Remote-User-Id ${q(opts.user.id)};
      proxy_set_header X-Remote-User-Name ${q(opts.user.name)};
      proxy_set_header X-Remote-User-Display-Name ${q(opts.user.displayName)};
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_read_timeout 600s;
      proxy_send_timeout 600s;
    }
    location / { return 404; }
  }
}
`,
  );
  const daemon = await startDaemon(
    () => {
      const child = spawn('nginx', ['-c', conf, '-p', dir, '-e', errorLog], { stdio: 'ignore' });
      child.on('error', () => undefined);
    },
    pidFile,
    port,
  ).catch(async (err: Error) => {
    throw new Error(`nginx did not start: ${err.message}\n${await readFile(errorLog, 'utf8').catch(() => '')}`);
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    ingressPath,
    appUrl: `${url}${ingressPath}/`,
    panelUrl: `${url}/hassio/ingress/lifeboat`,
    proxyAddress,
    errorLog: () => readFile(errorLog, 'utf8').catch(() => ''),
    down: () => daemon.kill(),
    up: () => daemon.restart(),
    stop: async () => {
      await daemon.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
