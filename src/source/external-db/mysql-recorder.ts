// The recorder on MariaDB/MySQL. Dump: `mariadb-dump --single-transaction` (one REPEATABLE READ
// snapshot of InnoDB, no table locks, rows streamed with --quick). Load: into a fresh database
// `<db>__lifeboat_new`, then one `RENAME TABLE` statement moves every live table to
// `<db>__lifeboat_old` and every loaded one into place — atomic in the server, foreign keys follow.
// Those two helper databases need the recorder user's privileges too (documented in docs/recorder-databases.md).

import { loadThrough, runTool, startTool, ExternalDatabaseError, type ToolCall } from './db-process.js';
import type { ExternalRecorder, ServerDatabase } from './external-recorder.js';

const MAX_NAME = 64;
const quote = (name: string) => `\`${name.replace(/`/g, '``')}\``;
const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

export class MysqlRecorder implements ExternalRecorder {
  readonly kind = 'mysql' as const;
  private readonly newDb: string;
  private readonly oldDb: string;

  constructor(private readonly db: ServerDatabase) {
    this.newDb = `${db.database}__lifeboat_new`;
    this.oldDb = `${db.database}__lifeboat_old`;
    if (this.oldDb.length > MAX_NAME) throw new ExternalDatabaseError(`The database name ${db.database} is too long for Lifeboat's restore helpers (${MAX_NAME - 14} characters at most)`);
  }

  private connection(): string[] {
    const args: string[] = [];
    const { host, port, socket, user, params } = this.db;
    if (socket) args.push(`--socket=${socket}`, '--protocol=SOCKET');
    else if (host) {
      args.push(`--host=${host}`);
      if (host !== 'localhost') args.push('--protocol=TCP');
      if (port) args.push(`--port=${port}`);
    }
    if (user) args.push(`--user=${user}`);
    args.push(`--default-character-set=${params.charset ?? 'utf8mb4'}`);
    if (params.ssl_ca) args.push(`--ssl-ca=${params.ssl_ca}`);
    if (params.ssl_cert) args.push(`--ssl-cert=${params.ssl_cert}`);
    if (params.ssl_key) args.push(`--ssl-key=${params.ssl_key}`);
    return args;
  }

  private call(tool: string, args: string[]): ToolCall {
    // --no-defaults first: no option file of the machine's user changes what is dumped or where.
    return { program: tool, args: ['--no-defaults', ...this.connection(), ...args], env: this.db.password !== null ? { MYSQL_PWD: this.db.password } : {} };
  }

  private sql(statements: string, what: string, signal?: AbortSignal): Promise<string> {
    return runTool(this.call('mariadb', ['--batch', '--skip-column-names']), what, statements, signal);
  }

  async serverVersion(signal?: AbortSignal): Promise<string> {
    const v = (await this.sql('SELECT VERSION();', 'Connecting to the recorder database', signal)).trim();
    return v.toLowerCase().includes('mariadb') ? `MariaDB ${v}` : `MySQL ${v}`;
  }

  startDump(signal?: AbortSignal) {
    const args = ['--single-transaction', '--quick', '--skip-lock-tables', '--no-tablespaces', '--hex-blob', '--triggers', '--skip-dump-date', this.db.database];
    return startTool(this.call('mariadb-dump', args), 'Dumping the recorder database', { stdout: true, signal });
  }

  private async tables(database: string): Promise<{ name: string; type: string }[]> {
    const out = await this.sql(`SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${literal(database)} ORDER BY TABLE_NAME;`, 'Listing the recorder tables');
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [name = '', type = ''] = line.split('\t');
        return { name, type };
      });
  }

  private async exists(database: string): Promise<boolean> {
    const out = await this.sql(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${literal(database)};`, 'Looking at the recorder database');
    return out.trim() === '1';
  }

  async load(dump: AsyncIterable<Buffer>, signal?: AbortSignal): Promise<void> {
    if (await this.exists(this.oldDb)) {
      throw new ExternalDatabaseError(
        `The database ${this.oldDb} exists: it holds the recorder's tables from before a restore that was interrupted. Look at it, and drop it (DROP DATABASE ${quote(this.oldDb)}) before restoring again`,
      );
    }
    const charset = (await this.sql(`SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${literal(this.db.database)};`, 'Looking at the recorder database')).trim().split('\t');
    const [cs, coll] = charset.length === 2 ? charset : ['utf8mb4', 'utf8mb4_unicode_ci'];
    await this.sql(`DROP DATABASE IF EXISTS ${quote(this.newDb)}; CREATE DATABASE ${quote(this.newDb)} CHARACTER SET ${cs} COLLATE ${coll};`, `Creating the database ${this.newDb} for the restore`);
    await loadThrough(startTool(this.call('mariadb', ['--batch', this.newDb]), 'Loading the recorder database', { stdin: true, signal }), dump);
  }

  private async rename(pairs: [string, string][], what: string): Promise<void> {
    if (pairs.length === 0) return;
    await this.sql(`RENAME TABLE ${pairs.map(([from, to]) => `${from} TO ${to}`).join(', ')};`, what);
  }

  async swapIn(): Promise<void> {
    const live = await this.tables(this.db.database);
    const loaded = await this.tables(this.newDb);
    const views = [...live, ...loaded].filter((t) => t.type !== 'BASE TABLE');
    if (views.length) throw new ExternalDatabaseError(`The recorder database has views (${views.map((v) => v.name).join(', ')}), which Lifeboat cannot swap atomically`);
    await this.sql(`CREATE DATABASE IF NOT EXISTS ${quote(this.oldDb)};`, `Creating the database ${this.oldDb}`);
    // One statement: the server renames all or none. When it refuses, the empty helper goes again.
    await this.rename(
      [
        ...live.map((t): [string, string] => [`${quote(this.db.database)}.${quote(t.name)}`, `${quote(this.oldDb)}.${quote(t.name)}`]),
        ...loaded.map((t): [string, string] => [`${quote(this.newDb)}.${quote(t.name)}`, `${quote(this.db.database)}.${quote(t.name)}`]),
      ],
      'Swapping the restored recorder tables in',
    ).catch(async (err: unknown) => {
      // Only while it is still empty: a connection lost after the server ran the RENAME leaves the
      // data from before the restore in it, which settle() puts back.
      if ((await this.tables(this.oldDb).catch(() => [{ name: '?', type: '?' }])).length === 0) {
        await this.sql(`DROP DATABASE IF EXISTS ${quote(this.oldDb)};`, `Removing ${this.oldDb}`).catch(() => undefined);
      }
      throw err;
    });
  }

  async swapBack(): Promise<void> {
    const restored = await this.tables(this.db.database);
    const old = await this.tables(this.oldDb);
    await this.rename(
      [
        ...restored.map((t): [string, string] => [`${quote(this.db.database)}.${quote(t.name)}`, `${quote(this.newDb)}.${quote(t.name)}`]),
        ...old.map((t): [string, string] => [`${quote(this.oldDb)}.${quote(t.name)}`, `${quote(this.db.database)}.${quote(t.name)}`]),
      ],
      'Putting the recorder tables back',
    );
    await this.dropOld();
  }

  async dropOld(): Promise<void> {
    await this.sql(`DROP DATABASE IF EXISTS ${quote(this.oldDb)}; DROP DATABASE IF EXISTS ${quote(this.newDb)};`, 'Removing the old recorder tables');
  }

  async discardLoaded(): Promise<void> {
    await this.sql(`DROP DATABASE IF EXISTS ${quote(this.newDb)};`, `Removing ${this.newDb}`);
  }

  // Before the swap the loaded tables are in the new database; the swap's one RENAME empties it and
  // fills the old one (which it made just before, so an old database next to a full new one is
  // empty: the swap did not happen).
  async settle(keep: 'old' | 'new'): Promise<void> {
    const loaded = (await this.exists(this.newDb)) ? (await this.tables(this.newDb)).length : 0;
    const aside = await this.exists(this.oldDb);
    if (loaded > 0) {
      if (keep === 'new') await this.swapIn();
      await this.dropOld();
    } else if (aside) {
      if (keep === 'old') await this.swapBack();
      else await this.dropOld();
    } else {
      await this.discardLoaded();
    }
  }
}
