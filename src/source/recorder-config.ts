// Which database Home Assistant's recorder writes to, read from the installation folder: the
// recorder's `db_url` in configuration.yaml (directly, through includes and secrets, or in a
// package), parsed as SQLAlchemy parses it, or the SQLite file Home Assistant uses by default. A
// backup needs the answer to copy the right database: the SQLite file, or a dump of the server's.
// The URL's password stays in the result for the dump, and out of every message and description.

import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { BackupError } from '../util/errors.js';
import { RECORDER_DB } from './database-snapshots.js';
import { HaYamlError, HaYamlReader, type Located } from './ha-yaml.js';

export type RecorderDatabase =
  | { kind: 'sqlite'; path: string }
  | {
      kind: 'mysql' | 'postgresql';
      host: string | null;
      port: number | null;
      /** MySQL: the socket file; PostgreSQL: the folder of the socket. */
      socket: string | null;
      user: string | null;
      password: string | null;
      database: string;
      /** The URL's other query parameters (driver options such as charset, ssl_ca, sslmode). */
      params: Record<string, string>;
    };

export interface RecorderDetection {
  db: RecorderDatabase;
  /** Where the db_url came from: 'default' (no recorder db_url anywhere) or the file relative to the installation, e.g. 'configuration.yaml', 'secrets.yaml', 'packages/recorder.yaml'. */
  source: string;
}

/** The recorder's database cannot be told from the configuration; the message says why and where. */
export class RecorderConfigError extends BackupError {
  override readonly code: string = 'recorder_config_invalid';
}

/** SQLAlchemy's URL grammar (anchored here): dialect[+driver]://[user[:password]@][host|[ipv6]][:port][/database][?query]. */
const DB_URL = /^(?<scheme>[\w+]+):\/\/(?:(?<user>[^:/]*)(?::(?<password>[^@]*))?@)?(?:(?:\[(?<ipv6>[^/?]+)\]|(?<host>[^/:?]+))?(?::(?<port>[^/?]*))?)?(?:\/(?<database>[^?]*))?(?:\?(?<query>.*))?$/s;
const MAX_URL = 4096;
const KINDS: Record<string, 'sqlite' | 'mysql' | 'postgresql'> = {
  sqlite: 'sqlite',
  mysql: 'mysql',
  mariadb: 'mysql',
  postgresql: 'postgresql',
  postgres: 'postgresql',
};
/** Query parameters the drivers take as the password (they override the URL's, as in SQLAlchemy). */
const PASSWORD_PARAMS = { mysql: ['password', 'passwd'], postgresql: ['password'] };

/**
 * Parses a SQLAlchemy db_url as Home Assistant accepts it. Throws RecorderConfigError, whose
 * message never quotes the URL. An in-memory SQLite database (`sqlite://`, `:memory:`) is refused,
 * as Home Assistant refuses it. A relative SQLite path is taken in the installation (Home
 * Assistant's working folder in its container); an absolute one under /config/ that does not
 * exist here is taken in the installation too (the container's view of it).
 */
export function parseDbUrl(url: string, installation: string): RecorderDatabase {
  const text = url.trim();
  if (text.length > MAX_URL) throw new RecorderConfigError(`db_url is longer than ${MAX_URL} characters`);
  const m = DB_URL.exec(text)?.groups;
  if (!m?.scheme) throw new RecorderConfigError('db_url is not a database URL like mysql://user:password@host/database');
  const kind = KINDS[m.scheme.toLowerCase().split('+')[0] ?? ''];
  if (!kind) throw new RecorderConfigError(`db_url uses the database '${m.scheme}'; Lifeboat knows SQLite, MariaDB/MySQL and PostgreSQL`);
  if ([m.host, m.port, m.database].some((part) => part?.includes('@'))) {
    throw new RecorderConfigError("db_url has an '@' after its user and password: write an '@' in the password as %40");
  }
  const user = unquote(m.user ?? '') || null;
  let password = unquote(m.password ?? '') || null;
  const host = m.ipv6 ?? m.host ?? null;
  if (kind === 'sqlite') {
    if (user || password || host || m.port) throw new RecorderConfigError('a SQLite db_url has no user, password or host: sqlite:////path/to/file.db');
    const file = m.database ?? '';
    if (file === '' || file.includes(':memory:')) throw new RecorderConfigError('db_url names an in-memory SQLite database, which Home Assistant does not support');
    return { kind, path: sqlitePath(file, resolve(installation)) };
  }
  let port: number | null = null;
  if (m.port) {
    port = /^\d{1,5}$/.test(m.port) ? Number(m.port) : 0;
    if (port < 1 || port > 65535) throw new RecorderConfigError('the port in db_url is not a number from 1 to 65535');
  }
  const database = unquote(m.database ?? '');
  if (!database) throw new RecorderConfigError('db_url names no database: add /<database name> after the host');
  const params = parseQuery(m.query ?? '');
  for (const key of PASSWORD_PARAMS[kind]) {
    const value = params.get(key);
    if (value !== undefined) password = value || null;
    params.delete(key);
  }
  let socket: string | null = null;
  let server = host;
  if (kind === 'mysql') {
    socket = params.get('unix_socket') ?? null;
    params.delete('unix_socket');
  } else {
    const hostParam = params.get('host');
    params.delete('host');
    if (hostParam?.startsWith('/')) [socket, server] = [hostParam, null];
    else if (hostParam) server = hostParam;
    // libpq takes the port as a parameter too; with a socket folder it names the socket's file.
    const portParam = params.get('port');
    if (portParam !== undefined && /^\d{1,5}$/.test(portParam)) {
      port = Number(portParam);
      params.delete('port');
    }
  }
  return { kind, host: server, port, socket, user, password, database, params: Object.fromEntries(params) };
}

function sqlitePath(file: string, installation: string): string {
  if (!isAbsolute(file)) return resolve(installation, file);
  if (file.startsWith('/config/') && !existsSync(file)) return join(installation, file.slice('/config/'.length));
  return resolve(file);
}

/** Python's unquote: %XX sequences decoded as UTF-8, malformed ones left as they are. */
function unquote(s: string): string {
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => Buffer.from(run.replace(/%/g, ''), 'hex').toString('utf8'));
}

/** Python's parse_qsl as SQLAlchemy calls it: `+` is a space, pairs without '=' or a value are dropped, the last of a repeated key kept. */
function parseQuery(query: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || eq === pair.length - 1) continue;
    const decode = (s: string) => unquote(s.replace(/\+/g, ' '));
    params.set(decode(pair.slice(0, eq)), decode(pair.slice(eq + 1)));
  }
  return params;
}

/**
 * Reads configuration.yaml of the installation and finds recorder.db_url: at the top level first,
 * then in the packages of `homeassistant: packages:` in their order (Home Assistant merges them,
 * and a db_url set twice keeps the first). None anywhere (or no configuration.yaml): Home
 * Assistant's default SQLite file in the installation. A db_url left empty counts as none.
 */
export async function detectRecorder(installation: string): Promise<RecorderDetection> {
  const root = resolve(installation);
  const yaml = new HaYamlReader(root);
  let found: Located | null;
  try {
    found = await findDbUrl(yaml);
  } catch (err) {
    if (err instanceof HaYamlError) throw new RecorderConfigError(`Cannot tell the recorder's database: ${err.message}`, { cause: err });
    throw err;
  }
  if (!found) return { db: { kind: 'sqlite', path: join(root, RECORDER_DB) }, source: 'default' };
  const source = yaml.rel(found.file).split(sep).join('/');
  if (typeof found.value !== 'string') throw new RecorderConfigError(`Cannot tell the recorder's database: ${source}: db_url is not text`);
  try {
    return { db: parseDbUrl(found.value, root), source };
  } catch (err) {
    if (err instanceof RecorderConfigError) throw new RecorderConfigError(`Cannot tell the recorder's database: ${source}: ${err.message}`);
    throw err;
  }
}

async function findDbUrl(yaml: HaYamlReader): Promise<Located | null> {
  const config = await yaml.file('configuration.yaml');
  if (!config) return null;
  const dbUrlOf = async (node: Located | null) => {
    const recorder = node && (await yaml.child(node, 'recorder'));
    const url = recorder && (await yaml.child(recorder, 'db_url'));
    return url && url.value !== null ? url : null;
  };
  const top = await dbUrlOf(config);
  if (top) return top;
  const core = await yaml.child(config, 'homeassistant');
  const packages = core && (await yaml.child(core, 'packages'));
  for (const [, pkg] of packages ? await yaml.entries(packages) : []) {
    const url = await dbUrlOf(pkg);
    if (url) return url;
  }
  return null;
}

/**
 * One line for status output and logs, never with the password: "MariaDB/MySQL database
 * homeassistant on 127.0.0.1:3306 (user hass)", "PostgreSQL database ha via socket
 * /run/postgresql (user ha)", "SQLite home-assistant_v2.db" (relative when in the installation).
 */
export function describeRecorder(db: RecorderDatabase, installation?: string): string {
  if (db.kind === 'sqlite') {
    const rel = installation === undefined ? null : relative(resolve(installation), db.path);
    return `SQLite ${rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : db.path}`;
  }
  const name = db.kind === 'mysql' ? 'MariaDB/MySQL' : 'PostgreSQL';
  const host = db.host?.includes(':') ? `[${db.host}]` : db.host;
  const where = db.socket ? `via socket ${db.socket}` : host ? `on ${host}${db.port ? `:${db.port}` : ''}` : 'via the default local socket';
  return `${name} database ${db.database} ${where}${db.user ? ` (user ${db.user})` : ''}`;
}
