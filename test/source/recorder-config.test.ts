import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RecorderConfigError, describeRecorder, detectRecorder, parseDbUrl, type RecorderDatabase } from '../../src/source/recorder-config.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeTree, type TreeSpec } from '../helpers/tree.js';

const PASSWORD = 'S3cr3t-Pa55';

async function installation(spec: TreeSpec): Promise<string> {
  const dir = await tmpDir('lifeboat-recorder-');
  await makeTree(dir, spec);
  return dir;
}

async function detectionError(dir: string): Promise<RecorderConfigError> {
  const err = await detectRecorder(dir).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RecorderConfigError);
  return err as RecorderConfigError;
}

function parseError(url: string): RecorderConfigError {
  try {
    parseDbUrl(url, '/srv/ha');
  } catch (err) {
    expect(err).toBeInstanceOf(RecorderConfigError);
    return err as RecorderConfigError;
  }
  throw new Error(`parsed without an error: ${url}`);
}

const server = (db: Partial<Extract<RecorderDatabase, { kind: 'mysql' | 'postgresql' }>>) => ({
  host: null,
  port: null,
  socket: null,
  user: null,
  password: null,
  params: {},
  ...db,
});

describe('detectRecorder', () => {
  it('finds a MySQL db_url written in configuration.yaml', async () => {
    const dir = await installation({
      'configuration.yaml': `default_config:\nrecorder:\n  purge_keep_days: 30\n  db_url: mysql://hass:${PASSWORD}@192.168.1.5:3306/homeassistant\n`,
    });
    expect(await detectRecorder(dir)).toEqual({
      db: server({ kind: 'mysql', host: '192.168.1.5', port: 3306, user: 'hass', password: PASSWORD, database: 'homeassistant' }),
      source: 'configuration.yaml',
    });
  });

  it('takes a !secret db_url from secrets.yaml and names secrets.yaml as the source', async () => {
    const dir = await installation({
      'configuration.yaml': 'recorder:\n  db_url: !secret recorder_db_url\n',
      'secrets.yaml': `recorder_db_url: "mysql://hass:${PASSWORD}@core-mariadb/homeassistant?charset=utf8mb4"\n`,
    });
    expect(await detectRecorder(dir)).toEqual({
      db: server({ kind: 'mysql', host: 'core-mariadb', user: 'hass', password: PASSWORD, database: 'homeassistant', params: { charset: 'utf8mb4' } }),
      source: 'secrets.yaml',
    });
  });

  it('follows recorder: !include recorder.yaml', async () => {
    const dir = await installation({
      'configuration.yaml': 'recorder: !include recorder.yaml\n',
      'recorder.yaml': 'db_url: postgresql://ha@db.lan/ha\nexclude:\n  domains: [sun]\n',
    });
    const found = await detectRecorder(dir);
    expect(found.source).toBe('recorder.yaml');
    expect(found.db).toEqual(server({ kind: 'postgresql', host: 'db.lan', user: 'ha', database: 'ha' }));
  });

  it('finds the db_url in a package of !include_dir_named packages, with its secret from the package folder', async () => {
    const dir = await installation({
      'configuration.yaml': 'homeassistant:\n  name: Home\n  packages: !include_dir_named packages\nrecorder:\n  purge_keep_days: 7\n',
      'packages/lights.yaml': 'light:\n  - platform: group\n    entities: [light.a]\n',
      'packages/storage/recorder.yaml': 'recorder:\n  db_url: !secret db\n',
      'packages/secrets.yaml': `db: mysql://hass:${PASSWORD}@10.0.0.2/ha_db\n`,
      'secrets.yaml': 'db: sqlite:////wrong.db\n',
    });
    expect(await detectRecorder(dir)).toEqual({
      db: server({ kind: 'mysql', host: '10.0.0.2', user: 'hass', password: PASSWORD, database: 'ha_db' }),
      source: 'packages/secrets.yaml',
    });
  });

  it('names the package file when the db_url is written in packages/recorder.yaml', async () => {
    const dir = await installation({
      'configuration.yaml': 'homeassistant:\n  packages: !include_dir_named packages\n',
      'packages/recorder.yaml': 'recorder:\n  db_url: postgresql://@/homeassistant\n',
    });
    expect(await detectRecorder(dir)).toEqual({ db: server({ kind: 'postgresql', database: 'homeassistant' }), source: 'packages/recorder.yaml' });
  });

  it('finds the db_url in packages merged with !include_dir_merge_named', async () => {
    const dir = await installation({
      'configuration.yaml': 'homeassistant:\n  packages: !include_dir_merge_named pkgs/\n',
      'pkgs/a.yaml': 'climate_pack:\n  climate: []\n',
      'pkgs/db.yaml': 'database_pack:\n  recorder:\n    db_url: sqlite:///data/ha.db\n',
    });
    expect(await detectRecorder(dir)).toEqual({ db: { kind: 'sqlite', path: join(dir, 'data/ha.db') }, source: 'pkgs/db.yaml' });
  });

  it('prefers the top-level db_url over one in a package', async () => {
    const dir = await installation({
      'configuration.yaml': 'homeassistant:\n  packages:\n    db:\n      recorder:\n        db_url: mysql://a@b/pkg\nrecorder:\n  db_url: mysql://a@b/top\n',
    });
    const found = await detectRecorder(dir);
    expect(found.db).toMatchObject({ database: 'top' });
  });

  it('defaults to home-assistant_v2.db in the installation when no recorder is configured', async () => {
    const dir = await installation({ 'configuration.yaml': 'default_config:\nrecorder:\n  purge_keep_days: 10\n' });
    expect(await detectRecorder(dir)).toEqual({ db: { kind: 'sqlite', path: join(dir, 'home-assistant_v2.db') }, source: 'default' });
    const empty = await installation({ 'README': 'no configuration.yaml here' });
    expect((await detectRecorder(empty)).source).toBe('default');
  });

  it('reads a configuration with unknown tags and include folders it does not need', async () => {
    const dir = await installation({
      'configuration.yaml': [
        'homeassistant:',
        '  customize: !include customize.yaml', // does not exist: never read
        'automation manual: !include_dir_list automations',
        'automation ui: !include automations.yaml',
        'script: !include_dir_merge_named scripts',
        'sensor: !include_dir_merge_list sensors',
        'blueprint_like:',
        '  entity: !input motion_entity',
        '  other: !custom_component_tag { a: 1 }',
        'mqtt:',
        '  password: !secret not_defined_anywhere', // unused: no error
        'recorder:',
        '  db_url: mysql://u@h/db',
        '',
      ].join('\n'),
      'automations/a.yaml': 'alias: A\ntrigger: []\naction:\n  - service: !input service\n',
      'automations.yaml': '- id: x\n  use_blueprint:\n    path: a.yaml\n    input: { s: !input s }\n',
    });
    expect((await detectRecorder(dir)).db).toMatchObject({ kind: 'mysql', host: 'h', database: 'db' });
  });

  it('refuses an !include that leads outside the installation', async () => {
    const dir = await installation({ 'configuration.yaml': 'recorder: !include ../../etc/passwd\n' });
    const err = await detectionError(dir);
    expect(err.code).toBe('recorder_config_invalid');
    expect(err.message).toMatch(/configuration\.yaml: !include \.\.\/\.\.\/etc\/passwd points outside the installation folder/);
  });

  it('refuses an included file that is a symbolic link to a file outside the installation', async () => {
    const outside = await installation({ 'secret-recorder.yaml': 'db_url: mysql://x@y/z\n' });
    const dir = await installation({
      'configuration.yaml': 'homeassistant:\n  packages: !include_dir_named packages\n',
      'packages/recorder.yaml': { symlink: join(outside, 'secret-recorder.yaml') },
    });
    expect((await detectionError(dir)).message).toMatch(/packages\/recorder\.yaml leads outside the installation folder/);
  });

  it('says which secret is missing and where it was looked for', async () => {
    const dir = await installation({
      'configuration.yaml': 'recorder: !include config/recorder.yaml\n',
      'config/recorder.yaml': 'db_url: !secret recorder_url\n',
      'secrets.yaml': 'other: x\n',
    });
    expect((await detectionError(dir)).message).toBe(
      "Cannot tell the recorder's database: config/recorder.yaml: secret 'recorder_url' is not defined (looked in config/secrets.yaml, secrets.yaml)",
    );
  });

  it('keeps the password out of the error for a db_url it cannot use', async () => {
    const dir = await installation({
      'configuration.yaml': 'recorder:\n  db_url: !secret url\n',
      'secrets.yaml': `url: mysql://hass:${PASSWORD}@db.lan:notaport/ha\n`,
    });
    const err = await detectionError(dir);
    expect(err.message).toBe("Cannot tell the recorder's database: secrets.yaml: the port in db_url is not a number from 1 to 65535");
    expect(err.message).not.toContain(PASSWORD);
  });

  it('reports YAML errors by file and line without quoting the file', async () => {
    const dir = await installation({ 'configuration.yaml': `recorder:\n  db_url: "mysql://u:${PASSWORD}@h/db\n  x: [\n` });
    const err = await detectionError(dir);
    expect(err.message).toMatch(/configuration\.yaml line \d+: not valid YAML \(\w+\)/);
    expect(err.message).not.toContain(PASSWORD);
  });
});

describe('parseDbUrl', () => {
  const root = '/srv/ha';

  it.each([
    ['mysql://hass:pw@10.0.0.1/ha', { kind: 'mysql', host: '10.0.0.1' }],
    ['mysql+pymysql://hass:pw@10.0.0.1/ha', { kind: 'mysql' }],
    ['mysql+mysqldb://hass:pw@10.0.0.1/ha', { kind: 'mysql' }],
    ['mariadb://hass:pw@10.0.0.1/ha', { kind: 'mysql' }],
    ['mariadb+pymysql://hass:pw@10.0.0.1/ha', { kind: 'mysql' }],
    ['postgresql://hass:pw@10.0.0.1/ha', { kind: 'postgresql' }],
    ['postgresql+psycopg2://hass:pw@10.0.0.1/ha', { kind: 'postgresql' }],
    ['postgres://hass:pw@10.0.0.1/ha', { kind: 'postgresql' }],
  ])('reads the kind of %s', (url, expected) => {
    expect(parseDbUrl(url, root)).toMatchObject({ ...expected, user: 'hass', password: 'pw', database: 'ha' });
  });

  it('takes a relative SQLite path in the installation and keeps an absolute one', () => {
    expect(parseDbUrl('sqlite:///home-assistant_v2.db', root)).toEqual({ kind: 'sqlite', path: '/srv/ha/home-assistant_v2.db' });
    expect(parseDbUrl('sqlite:////var/lib/ha/ha.db', root)).toEqual({ kind: 'sqlite', path: '/var/lib/ha/ha.db' });
  });

  it("maps the container's /config/ onto the installation when the path does not exist here", () => {
    expect(parseDbUrl('sqlite:////config/home-assistant_v2.db', root)).toEqual({ kind: 'sqlite', path: '/srv/ha/home-assistant_v2.db' });
  });

  it('refuses in-memory SQLite as Home Assistant does', () => {
    for (const url of ['sqlite://', 'sqlite:///:memory:']) expect(parseError(url).message).toMatch(/in-memory SQLite/);
  });

  it('keeps query parameters such as charset=utf8mb4 and takes the MySQL socket out of them', () => {
    expect(parseDbUrl(`mysql://hass:${PASSWORD}@/homeassistant?unix_socket=/var/run/mysqld/mysqld.sock&charset=utf8mb4`, root)).toEqual(
      server({ kind: 'mysql', socket: '/var/run/mysqld/mysqld.sock', user: 'hass', password: PASSWORD, database: 'homeassistant', params: { charset: 'utf8mb4' } }),
    );
    expect(parseDbUrl('mysql://hass:pw@localhost/ha?unix_socket=/run/mysqld/mysqld.sock', root)).toMatchObject({ host: 'localhost', socket: '/run/mysqld/mysqld.sock', params: {} });
    expect(parseDbUrl('mysql://h/ha?ssl_ca=%2Fetc%2Fca.pem&charset=utf8mb4&empty=', root)).toMatchObject({ params: { ssl_ca: '/etc/ca.pem', charset: 'utf8mb4' } });
  });

  it('reads the PostgreSQL socket forms', () => {
    expect(parseDbUrl('postgresql://@/homeassistant', root)).toEqual(server({ kind: 'postgresql', database: 'homeassistant' }));
    expect(parseDbUrl('postgresql:///ha', root)).toEqual(server({ kind: 'postgresql', database: 'ha' }));
    expect(parseDbUrl('postgresql://ha:pw@/ha?host=/run/postgresql&sslmode=disable', root)).toEqual(
      server({ kind: 'postgresql', socket: '/run/postgresql', user: 'ha', password: 'pw', database: 'ha', params: { sslmode: 'disable' } }),
    );
    expect(parseDbUrl('postgresql://ha@localhost:5433/ha?host=%2Fvar%2Frun%2Fpostgresql', root)).toMatchObject({ host: null, port: 5433, socket: '/var/run/postgresql' });
    // libpq's port parameter names the socket's file (.s.PGSQL.<port>) in the socket folder.
    expect(parseDbUrl('postgresql://ha:pw@/ha?host=/tmp/pg&port=54321', root)).toMatchObject({ host: null, port: 54321, socket: '/tmp/pg', params: {} });
  });

  it('percent-decodes the user, password and database', () => {
    expect(parseDbUrl('mysql://ha%20user:p%40ss%3Aw%2Fo%25rd@db/home%2Dassistant', root)).toMatchObject({ user: 'ha user', password: 'p@ss:w/o%rd', database: 'home-assistant' });
    expect(parseDbUrl('mysql://u:%E2%82%AC%zz@db/ha', root)).toMatchObject({ password: '€%zz' });
  });

  it('reads an IPv6 host in brackets, with and without a port', () => {
    expect(parseDbUrl('postgresql://ha:pw@[2001:db8::5]:5432/ha', root)).toMatchObject({ host: '2001:db8::5', port: 5432 });
    expect(parseDbUrl('mysql://ha:pw@[::1]/ha', root)).toMatchObject({ host: '::1', port: null });
  });

  it('takes a password given as a query parameter out of the parameters', () => {
    expect(parseDbUrl(`postgresql://ha@db/ha?password=${PASSWORD}&application_name=ha`, root)).toMatchObject({
      password: PASSWORD,
      params: { application_name: 'ha' },
    });
    expect(parseDbUrl(`mysql://ha@db/ha?passwd=${PASSWORD}`, root)).toMatchObject({ password: PASSWORD, params: {} });
  });

  it('says what is wrong without quoting the password', () => {
    const bad: [string, RegExp][] = [
      [`mysql://hass:${PASSWORD}@db.lan`, /names no database/],
      [`mysql://hass:${PASSWORD}@db.lan/`, /names no database/],
      [`mysql://hass:${PASSWORD}@db.lan:99999/ha`, /port/],
      [`mysql://hass:${PASSWORD}@db.lan:${PASSWORD}/ha`, /port/],
      [`mysql://hass:${PASSWORD}@more@db.lan/ha`, /%40/],
      [`mysql://hass:${PASSWORD}`, /port/],
      [`oracle://hass:${PASSWORD}@db/ha`, /'oracle'/],
      [`hass:${PASSWORD}@db/ha`, /not a database URL/],
      [`sqlite://hass:${PASSWORD}@/ha.db`, /SQLite db_url has no user/],
    ];
    for (const [url, problem] of bad) {
      const err = parseError(url);
      expect(err.message).toMatch(problem);
      expect(err.message).not.toContain(PASSWORD);
      expect(err.code).toBe('recorder_config_invalid');
    }
  });
});

describe('describeRecorder', () => {
  it.each([
    [`mysql://hass:${PASSWORD}@127.0.0.1:3306/homeassistant`, 'MariaDB/MySQL database homeassistant on 127.0.0.1:3306 (user hass)'],
    [`mysql://hass:${PASSWORD}@core-mariadb/homeassistant?charset=utf8mb4`, 'MariaDB/MySQL database homeassistant on core-mariadb (user hass)'],
    [`mysql://hass:${PASSWORD}@/ha?unix_socket=/run/mysqld/mysqld.sock`, 'MariaDB/MySQL database ha via socket /run/mysqld/mysqld.sock (user hass)'],
    [`postgresql://ha:${PASSWORD}@/ha?host=/run/postgresql`, 'PostgreSQL database ha via socket /run/postgresql (user ha)'],
    ['postgresql://@/ha', 'PostgreSQL database ha via the default local socket'],
    [`postgresql://ha:${PASSWORD}@[::1]:5432/ha`, 'PostgreSQL database ha on [::1]:5432 (user ha)'],
    [`postgresql://ha@db/ha?password=${PASSWORD}`, 'PostgreSQL database ha on db (user ha)'],
  ])('describes %s without the password', (url, text) => {
    const described = describeRecorder(parseDbUrl(url, '/srv/ha'));
    expect(described).toBe(text);
    expect(described).not.toContain(PASSWORD);
  });

  it('names a SQLite file relative to the installation when it is in it', () => {
    expect(describeRecorder({ kind: 'sqlite', path: '/srv/ha/home-assistant_v2.db' }, '/srv/ha')).toBe('SQLite home-assistant_v2.db');
    expect(describeRecorder({ kind: 'sqlite', path: '/var/lib/ha.db' }, '/srv/ha')).toBe('SQLite /var/lib/ha.db');
    expect(describeRecorder({ kind: 'sqlite', path: '/srv/ha/db/ha.db' })).toBe('SQLite /srv/ha/db/ha.db');
  });
});
