// Reads Home Assistant's YAML configuration as Home Assistant reads it — YAML 1.1 with its tags
// `!include`, `!include_dir_named`, `!include_dir_merge_named`, `!include_dir_list`,
// `!include_dir_merge_list`, `!secret` and `!env_var` — but lazily: a tag is resolved only when its
// value is asked for, so looking up one setting reads only the files on the way to it, and a broken
// file elsewhere in the configuration does not stand in the way. Other tags (`!input` of
// blueprints, a custom integration's own) read as their plain text. The configuration is not
// trusted: nothing outside the installation folder is read (checked on the path as written, on its
// real path, and on the opened file itself), and what one reader reads is bounded (bytes, files,
// folder entries, depth of includes within includes).

import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseDocument, type ScalarTag, type Tags } from 'yaml';
import { BackupError, errorMessage } from '../util/errors.js';
import { pathOfFd } from '../util/proc-fd.js';

/** The configuration cannot be read as Home Assistant would read it; the message names the file. */
export class HaYamlError extends BackupError {
  override readonly code: string = 'ha_config_invalid';
}

/** A file to read is not there (an `!include` of it is an error; a missing secrets.yaml is not). */
class FileMissing extends HaYamlError {}

export interface HaYamlLimits {
  /** YAML bytes read in all. */
  maxBytes: number;
  /** Files read in all. */
  maxFiles: number;
  /** Entries looked at in the folders of `!include_dir_*` tags, in all. */
  maxDirEntries: number;
  /** Includes within includes. */
  maxDepth: number;
}

const DEFAULT_LIMITS: HaYamlLimits = { maxBytes: 16 << 20, maxFiles: 1024, maxDirEntries: 65_536, maxDepth: 16 };

/** A value of the configuration and the file it was written in (absolute path). */
export interface Located {
  value: unknown;
  file: string;
}

const TAGS = ['!include', '!include_dir_named', '!include_dir_merge_named', '!include_dir_list', '!include_dir_merge_list', '!secret', '!env_var'] as const;
type HaTag = (typeof TAGS)[number];
const SECRETS = 'secrets.yaml';

/** A tag not resolved yet, with where it was written. `secrets`: false in secrets.yaml and what it includes. */
class Pending {
  constructor(
    readonly tag: HaTag,
    readonly arg: string,
    readonly file: string,
    readonly depth: number,
    readonly secrets: boolean,
  ) {}
}

/** A value an `!include_dir_*` tag brought in from one of the folder's files. */
class FromFile {
  constructor(
    readonly value: unknown,
    readonly file: string,
  ) {}
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One reading of an installation's configuration. Maps read as `Map` (keys as YAML 1.1 types them),
 * sequences as arrays; a value may still hold unresolved tags until it is taken (`take`, `child`,
 * `resolveAll`). Failures are HaYamlError; their messages never quote the files' content.
 */
export class HaYamlReader {
  readonly root: string;
  private readonly limits: HaYamlLimits;
  private realRoot: Promise<string> | null = null;
  private bytes = 0;
  private files = 0;
  private dirEntries = 0;
  private readonly secretFiles = new Map<string, Promise<{ secrets: Map<unknown, unknown>; file: string }>>();

  constructor(installation: string, limits: Partial<HaYamlLimits> = {}) {
    this.root = resolve(installation);
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** A file of the installation, by its path relative to it; null when there is no such file. */
  async file(rel: string): Promise<Located | null> {
    const abs = resolve(this.root, rel);
    if (!inside(this.root, abs)) throw new HaYamlError(`${rel} is outside the installation folder`);
    try {
      return { value: await this.load(abs, 0, true), file: abs };
    } catch (err) {
      if (err instanceof FileMissing) return null;
      throw err;
    }
  }

  /** The value with the tags at its top resolved (included files read, secrets looked up). */
  async take(node: Located): Promise<Located> {
    let at = node;
    for (;;) {
      const v = at.value;
      if (v instanceof FromFile) at = { value: v.value, file: v.file };
      else if (v instanceof Pending) at = await this.evaluate(v);
      else return at;
    }
  }

  /** The value under `key` of a map, taken; null when the value is not a map or has no such key. */
  async child(node: Located, key: string): Promise<Located | null> {
    const map = await this.take(node);
    if (!(map.value instanceof Map) || !map.value.has(key)) return null;
    return this.take({ value: map.value.get(key), file: map.file });
  }

  /** The entries of a map, in order, their values not taken yet; none when the value is not a map. */
  async entries(node: Located): Promise<[unknown, Located][]> {
    const map = await this.take(node);
    if (!(map.value instanceof Map)) return [];
    return [...map.value].map(([k, v]) => [k, { value: v, file: map.file }]);
  }

  /** The value with every tag in it resolved. */
  async resolveAll(node: Located): Promise<unknown> {
    const { value, file } = await this.take(node);
    if (value instanceof Map) {
      const out = new Map<unknown, unknown>();
      for (const [k, v] of value) out.set(k, await this.resolveAll({ value: v, file }));
      return out;
    }
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (const v of value) out.push(await this.resolveAll({ value: v, file }));
      return out;
    }
    return value;
  }

  /** A file's path relative to the installation, for messages and reports. */
  rel(abs: string): string {
    return relative(this.root, abs) || '.';
  }

  private async evaluate(p: Pending): Promise<Located> {
    switch (p.tag) {
      case '!secret':
        return this.secret(p);
      case '!env_var':
        return { value: envVar(p.arg, this.rel(p.file)), file: p.file };
      case '!include': {
        const target = this.target(p);
        try {
          return { value: await this.load(target, p.depth + 1, p.secrets), file: target };
        } catch (err) {
          if (err instanceof FileMissing) throw new HaYamlError(`${this.rel(p.file)}: !include ${p.arg}: no such file`);
          throw err;
        }
      }
      default:
        return { value: await this.includeDir(p), file: p.file };
    }
  }

  /** Home Assistant's four folder tags; the folder's *.yaml files in Home Assistant's order. */
  private async includeDir(p: Pending): Promise<unknown> {
    const map = new Map<unknown, unknown>();
    const list: unknown[] = [];
    for (const file of await this.yamlFiles(this.target(p))) {
      const raw = await this.load(file, p.depth + 1, p.secrets);
      if (p.tag === '!include_dir_named') map.set(file.slice(file.lastIndexOf(sep) + 1, -'.yaml'.length), new FromFile(raw, file));
      else if (p.tag === '!include_dir_list') list.push(new FromFile(raw, file));
      else {
        const top = await this.take({ value: raw, file });
        if (p.tag === '!include_dir_merge_named' && top.value instanceof Map) {
          for (const [k, v] of top.value) map.set(k, new FromFile(v, top.file));
        } else if (p.tag === '!include_dir_merge_list' && Array.isArray(top.value)) {
          for (const v of top.value) list.push(new FromFile(v, top.file));
        }
      }
    }
    return p.tag.endsWith('_named') ? map : list;
  }

  /**
   * The *.yaml files below a folder but secrets.yaml, as Home Assistant's walk finds them: each
   * folder's files sorted, then its subfolders (sorted here; Home Assistant takes the order the file
   * system gives); names starting with a dot skipped; links to folders not walked into.
   */
  private async yamlFiles(dir: string): Promise<string[]> {
    const found: string[] = [];
    const walk = async (at: string): Promise<void> => {
      const entries = await readdir(at, { withFileTypes: true }).catch(() => []);
      this.dirEntries += entries.length;
      if (this.dirEntries > this.limits.maxDirEntries) throw new HaYamlError(`${this.rel(dir)}: more than ${this.limits.maxDirEntries} folder entries to look at`);
      const files: string[] = [];
      const dirs: string[] = [];
      for (const e of entries) {
        if (e.name.startsWith('.')) continue;
        if (e.isDirectory()) dirs.push(e.name);
        else if (e.isSymbolicLink() && (await stat(join(at, e.name)).then((s) => s.isDirectory(), () => false))) continue;
        else if (e.name.endsWith('.yaml') && e.name !== SECRETS) files.push(e.name);
      }
      for (const name of files.sort(byCodeUnit)) found.push(join(at, name));
      for (const name of dirs.sort(byCodeUnit)) await walk(join(at, name));
    };
    if ((await this.realInside(dir)) !== null) await walk(dir);
    return found;
  }

  /**
   * Where a tag's path leads, relative to the file it is written in. An absolute path under
   * /config/ (the installation as Home Assistant's container sees it) is taken in the installation.
   */
  private target(p: Pending): string {
    let abs = resolve(dirname(p.file), p.arg);
    if (!inside(this.root, abs) && p.arg.startsWith('/config/')) abs = join(this.root, p.arg.slice('/config/'.length));
    if (!inside(this.root, abs)) {
      throw new HaYamlError(`${this.rel(p.file)}: ${p.tag} ${p.arg} points outside the installation folder; it is not followed`);
    }
    return abs;
  }

  /** `!secret name`: secrets.yaml of the file's folder, then of each folder above it up to the installation's. */
  private async secret(p: Pending): Promise<Located> {
    if (!p.secrets) throw new HaYamlError(`${this.rel(p.file)}: !secret cannot be used in secrets.yaml or what it includes`);
    const looked: string[] = [];
    for (let dir = dirname(p.file); inside(this.root, dir); dir = dirname(dir)) {
      const path = join(dir, SECRETS);
      looked.push(this.rel(path));
      const { secrets, file } = await this.secretsIn(path);
      if (secrets.has(p.arg)) return { value: secrets.get(p.arg), file };
      if (dir === this.root) break;
    }
    throw new HaYamlError(`${this.rel(p.file)}: secret '${p.arg}' is not defined (looked in ${looked.join(', ')})`);
  }

  private secretsIn(path: string): Promise<{ secrets: Map<unknown, unknown>; file: string }> {
    let loaded = this.secretFiles.get(path);
    if (!loaded) {
      loaded = (async () => {
        let raw: unknown;
        try {
          raw = await this.load(path, 0, false);
        } catch (err) {
          if (err instanceof FileMissing) return { secrets: new Map(), file: path };
          throw err;
        }
        const top = await this.take({ value: raw, file: path });
        if (!(top.value instanceof Map)) throw new HaYamlError(`${this.rel(path)} is not a map of secret names to values`);
        const secrets = new Map(top.value);
        secrets.delete('logger'); // Home Assistant's switch for its own debug logging, not a secret
        return { secrets, file: top.file };
      })();
      this.secretFiles.set(path, loaded);
    }
    return loaded;
  }

  /** Reads and parses one file; its tags stay unresolved. An empty (or falsy) document is an empty map, as in Home Assistant. */
  private async load(abs: string, depth: number, secrets: boolean): Promise<unknown> {
    const name = this.rel(abs);
    if (depth > this.limits.maxDepth) throw new HaYamlError(`${name}: includes nested more than ${this.limits.maxDepth} deep (does a file include itself?)`);
    const text = await this.read(abs);
    const haTags: ScalarTag[] = TAGS.map((tag) => ({ tag, resolve: (arg: string) => new Pending(tag, arg, abs, depth, secrets) }));
    const customTags = (tags: Tags): Tags => [...tags.map(pyyamlBool), ...haTags];
    const doc = parseDocument(text, { version: '1.1', uniqueKeys: false, customTags });
    const [error] = doc.errors;
    if (error) {
      const line = error.linePos?.[0].line;
      throw new HaYamlError(`${name}${line ? ` line ${line}` : ''}: not valid YAML (${error.code})`);
    }
    let value: unknown;
    try {
      value = doc.toJS({ mapAsMap: true, maxAliasCount: 100 });
    } catch (err) {
      throw new HaYamlError(`${name}: not valid YAML (${errorMessage(err)})`);
    }
    return !value || (Array.isArray(value) && value.length === 0) ? new Map() : value;
  }

  private async read(abs: string): Promise<string> {
    const name = this.rel(abs);
    if (++this.files > this.limits.maxFiles) throw new HaYamlError(`${name}: more than ${this.limits.maxFiles} YAML files to read`);
    const real = await this.realInside(abs);
    if (real === null) throw new FileMissing(`${name}: no such file`);
    const fh = await open(real, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? new FileMissing(`${name}: no such file`) : new HaYamlError(`${name} cannot be read (${err.code ?? errorMessage(err)})`);
    });
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new HaYamlError(`${name} is not a regular file`);
      const opened = pathOfFd(fh.fd);
      if (opened !== null && !inside(await this.rootReal(), opened)) throw this.outside(name);
      const left = this.limits.maxBytes - this.bytes;
      const tooMuch = new HaYamlError(`${name}: more than ${this.limits.maxBytes} bytes of YAML to read`);
      if (st.size > left) throw tooMuch;
      const buf = Buffer.alloc(st.size + 1);
      let n = 0;
      for (let got = 1; got > 0 && n < buf.length; n += got) got = (await fh.read(buf, n, buf.length - n, n)).bytesRead;
      if (n > left) throw tooMuch;
      this.bytes += n;
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n));
      } catch {
        throw new HaYamlError(`${name} is not UTF-8 text`);
      }
    } finally {
      await fh.close();
    }
  }

  /** The real path of a path in the installation, checked to stay in it; null when nothing is there. */
  private async realInside(abs: string): Promise<string | null> {
    let real: string;
    try {
      real = await realpath(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw new HaYamlError(`${this.rel(abs)} cannot be read (${code ?? errorMessage(err)})`);
    }
    if (!inside(await this.rootReal(), real)) throw this.outside(this.rel(abs));
    return real;
  }

  private rootReal(): Promise<string> {
    this.realRoot ??= realpath(this.root);
    return this.realRoot;
  }

  private outside(name: string): HaYamlError {
    return new HaYamlError(`${name} leads outside the installation folder through a symbolic link; it is not followed`);
  }
}

/** PyYAML's YAML 1.1 booleans, which (unlike the yaml package's) leave y, Y, n and N as text. */
function pyyamlBool(tag: Tags[number]): Tags[number] {
  if (typeof tag === 'string' || tag.tag !== 'tag:yaml.org,2002:bool' || !tag.test) return tag;
  const test = tag.test.test('true') ? /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/ : /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;
  return { ...tag, test };
}

/** `!env_var NAME [default …]`, from this process's environment (which may not be Home Assistant's). */
function envVar(arg: string, where: string): string {
  const [name, ...fallback] = arg.trim().split(/\s+/).filter(Boolean);
  if (name === undefined) throw new HaYamlError(`${where}: !env_var names no variable`);
  const value = process.env[name];
  if (value !== undefined) return value;
  if (fallback.length > 0) return fallback.join(' ');
  throw new HaYamlError(`${where}: environment variable ${name} is not defined here (Lifeboat reads its own environment)`);
}
