// What the MariaDB and PostgreSQL test servers have in common: Home Assistant's recorder signs in
// as `hass` (a password that needs escaping in a URL) to the database `homeassistant`, by a URL
// over TCP or the socket; the test itself is a superuser.

export const HASS_USER = 'hass';
export const HASS_PASSWORD = 'p@ss:w/rd%';
export const HASS_DATABASE = 'homeassistant';

export interface DatabaseServer {
  readonly kind: 'mariadb' | 'postgresql';
  port: number;
  dataDir: string;
  user: string;
  password: string;
  database: string;
  /** The recorder's `db_url` over TCP on 127.0.0.1, the password percent-encoded. */
  url: string;
  /** The same over the server's socket. */
  socketUrl: string;
  /** Runs one statement as the superuser in `homeassistant`; its rows ([] for a statement without). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Shuts the server down (its own shutdown; SIGKILL after 20 s) and removes its folder. */
  stop(): Promise<void>;
  /** SIGKILLs the server and its workers, as a crash would; the folder stays until stop(). */
  kill(): Promise<void>;
}
