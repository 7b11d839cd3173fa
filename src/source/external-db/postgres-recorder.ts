// The recorder on PostgreSQL (its tables in the `public` schema, as Home Assistant creates them).
// Dump: `pg_dump --schema=public` (one REPEATABLE READ snapshot; only ACCESS SHARE locks, so Home
// Assistant keeps writing). Load: in one transaction the live `public` is renamed aside, the dump
// creates a new `public` and fills it, and the new one is renamed to `lifeboat_restored` and the
// live one back — other sessions never see any of it, and Home Assistant keeps writing meanwhile.
// Swap: one transaction renames `public` to `lifeboat_old` and `lifeboat_restored` to `public`.
// The transaction is opened and committed by Lifeboat's own lines around the dump: an input that
// ends early leaves it open, and the server rolls it back.

import { loadThrough, runTool, startTool, ExternalDatabaseError, type ToolCall } from './db-process.js';
import type { ExternalRecorder, ServerDatabase } from './external-recorder.js';

const RESTORED = 'lifeboat_restored';
const OLD = 'lifeboat_old';
const ASIDE = 'lifeboat_live';

async function* framed(prelude: string, body: AsyncIterable<Buffer>, postlude: string): AsyncGenerator<Buffer> {
  yield Buffer.from(prelude);
  yield* body;
  yield Buffer.from(postlude);
}

export class PostgresRecorder implements ExternalRecorder {
  readonly kind = 'postgresql' as const;

  constructor(private readonly db: ServerDatabase) {}

  private call(tool: string, args: string[]): ToolCall {
    const { host, port, socket, user, params, password } = this.db;
    const conn: string[] = [];
    const where = socket ?? host;
    if (where) conn.push(`--host=${where}`);
    if (port) conn.push(`--port=${port}`);
    if (user) conn.push(`--username=${user}`);
    conn.push('--no-password');
    const env: Record<string, string> = {};
    if (password !== null) env.PGPASSWORD = password;
    if (params.sslmode) env.PGSSLMODE = params.sslmode;
    if (params.sslrootcert) env.PGSSLROOTCERT = params.sslrootcert;
    // The database name goes last, as a plain argument: psql and pg_dump take it positionally.
    return { program: tool, args: [...conn, ...args, '--', this.db.database], env };
  }

  private sql(statements: string, what: string, signal?: AbortSignal): Promise<string> {
    return runTool(this.call('psql', ['--no-psqlrc', '--quiet', '--tuples-only', '--no-align', '--set=ON_ERROR_STOP=1', '--file=-']), what, statements, signal);
  }

  async serverVersion(signal?: AbortSignal): Promise<string> {
    return `PostgreSQL ${(await this.sql('SHOW server_version;', 'Connecting to the recorder database', signal)).trim()}`;
  }

  startDump(signal?: AbortSignal) {
    const args = ['--schema=public', '--no-owner', '--no-privileges', '--format=plain', '--encoding=UTF8'];
    return startTool(this.call('pg_dump', args), 'Dumping the recorder database', { stdout: true, signal });
  }

  private async schemaExists(name: string): Promise<boolean> {
    return (await this.sql(`SELECT count(*) FROM pg_namespace WHERE nspname = '${name}';`, 'Looking at the recorder database')).trim() === '1';
  }

  async load(dump: AsyncIterable<Buffer>, signal?: AbortSignal): Promise<void> {
    if (await this.schemaExists(OLD)) {
      throw new ExternalDatabaseError(
        `The schema ${OLD} exists: it holds the recorder's tables from before a restore that was interrupted. Look at it, and drop it (DROP SCHEMA ${OLD} CASCADE) before restoring again`,
      );
    }
    const prelude = `BEGIN;\nDROP SCHEMA IF EXISTS ${RESTORED} CASCADE;\nALTER SCHEMA public RENAME TO ${ASIDE};\n`;
    // After the dump: pg_dump set an empty search_path; the names below need none.
    const postlude = `\nALTER SCHEMA public RENAME TO ${RESTORED};\nALTER SCHEMA ${ASIDE} RENAME TO public;\nCOMMIT;\n`;
    const tool = startTool(this.call('psql', ['--no-psqlrc', '--quiet', '--set=ON_ERROR_STOP=1', '--file=-']), 'Loading the recorder database', { stdin: true, signal });
    await loadThrough(tool, framed(prelude, dump, postlude));
    if (!(await this.schemaExists(RESTORED))) throw new ExternalDatabaseError('Loading the recorder database: the dump ended before it was complete');
  }

  async swapIn(): Promise<void> {
    await this.sql(`BEGIN;\nALTER SCHEMA public RENAME TO ${OLD};\nALTER SCHEMA ${RESTORED} RENAME TO public;\nCOMMIT;\n`, 'Swapping the restored recorder tables in');
  }

  async swapBack(): Promise<void> {
    await this.sql(`BEGIN;\nALTER SCHEMA public RENAME TO ${RESTORED};\nALTER SCHEMA ${OLD} RENAME TO public;\nCOMMIT;\n`, 'Putting the recorder tables back');
    await this.discardLoaded();
  }

  async dropOld(): Promise<void> {
    await this.sql(`DROP SCHEMA IF EXISTS ${OLD} CASCADE;`, 'Removing the old recorder tables');
  }

  async discardLoaded(): Promise<void> {
    await this.sql(`DROP SCHEMA IF EXISTS ${RESTORED} CASCADE;`, `Removing the schema ${RESTORED}`);
  }

  // The swap is one transaction: before it the loaded tables are in `lifeboat_restored`, after it
  // the live ones from before are in `lifeboat_old`.
  async settle(keep: 'old' | 'new'): Promise<void> {
    if (await this.schemaExists(OLD)) {
      if (keep === 'old') await this.swapBack();
      else await this.dropOld();
    } else if (await this.schemaExists(RESTORED)) {
      if (keep === 'new') await this.swapIn();
      await this.dropOld();
      await this.discardLoaded();
    }
  }
}
