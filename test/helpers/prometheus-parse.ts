// A strict parser of the Prometheus text exposition format (0.0.4), for tests: HELP and TYPE at
// most once per family and before its samples, families contiguous, metric and label names
// checked, label values with only the allowed escapes, no duplicate series, numeric values
// (NaN, +Inf, -Inf included), optional integer timestamps, counters non-negative.

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface ParsedFamily {
  name: string;
  help?: string;
  type: FamilyType;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set<FamilyType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function fail(line: number, message: string): never {
  throw new Error(`line ${line}: ${message}`);
}

function parseValue(text: string, line: number): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail(line, `invalid value ${JSON.stringify(text)}`);
  return Number(text);
}

/** Parses `{a="x",b="y"}` starting at `pos` (the `{`); returns the labels and the position after `}`. */
function parseLabels(s: string, pos: number, line: number): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = pos + 1;
  for (;;) {
    if (s[i] === '}') return { labels, end: i + 1 };
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(s.slice(i));
    if (!m) fail(line, `invalid label name at column ${i + 1}`);
    const name = m[0];
    if (!LABEL.test(name)) fail(line, `invalid label name ${name}`);
    if (name in labels) fail(line, `duplicate label ${name}`);
    i += name.length;
    if (s[i] !== '=' || s[i + 1] !== '"') fail(line, `expected ="… after label ${name}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = s[i];
      if (c === undefined) fail(line, `unterminated value of label ${name}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = s[i + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else fail(line, `invalid escape \\${next ?? ''} in label ${name}`);
        i += 2;
        continue;
      }
      if (c === '\n') fail(line, 'raw newline in a label value');
      value += c;
      i++;
    }
    labels[name] = value;
    i++;
    if (s[i] === ',') {
      i++;
      continue;
    }
    if (s[i] !== '}') fail(line, `expected , or } after label ${name}`);
  }
}

function familyOf(sampleName: string, families: Map<string, ParsedFamily>): ParsedFamily | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const f = families.get(sampleName.slice(0, -suffix.length));
    if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, ParsedFamily>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | null = null;
  const declare = (name: string, line: number): ParsedFamily => {
    if (!NAME.test(name)) fail(line, `invalid metric name ${name}`);
    let f = families.get(name);
    if (!f) {
      if (closed.has(name)) fail(line, `family ${name} is not contiguous`);
      f = { name, type: 'untyped', samples: [] };
      families.set(name, f);
    }
    if (current !== null && current !== name) closed.add(current);
    current = name;
    return f;
  };
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(raw);
      if (!m) return; // an ordinary comment
      const [, kind, name, rest = ''] = m as unknown as [string, 'HELP' | 'TYPE', string, string | undefined];
      const f = declare(name, line);
      if (kind === 'HELP') {
        if (f.help !== undefined) fail(line, `second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) fail(line, `invalid escape in HELP of ${name}`);
        f.help = rest.replace(/\\(\\|n)/g, (_x, c: string) => (c === 'n' ? '\n' : '\\'));
      } else {
        if (f.samples.length > 0) fail(line, `TYPE of ${name} after its samples`);
        if ((f as { typed?: boolean }).typed) fail(line, `second TYPE for ${name}`);
        if (!TYPES.has(rest.trim() as FamilyType)) fail(line, `unknown type ${rest}`);
        f.type = rest.trim() as FamilyType;
        (f as { typed?: boolean }).typed = true;
      }
      return;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw);
    if (!nameMatch) fail(line, `invalid sample line ${JSON.stringify(raw)}`);
    const name = nameMatch[0];
    let pos = name.length;
    let labels: Record<string, string> = {};
    if (raw[pos] === '{') ({ labels, end: pos } = parseLabels(raw, pos, line));
    const rest = raw.slice(pos);
    const vm = /^[ \t]+(\S+)(?:[ \t]+(-?\d+))?[ \t]*$/.exec(rest);
    if (!vm) fail(line, `invalid value part ${JSON.stringify(rest)}`);
    const value = parseValue(vm[1] as string, line);
    const f = familyOf(name, families) ?? declare(name, line);
    if (current !== f.name) {
      if (closed.has(f.name)) fail(line, `family ${f.name} is not contiguous`);
      declare(f.name, line);
    }
    if (f.type === 'counter' && (Number.isNaN(value) || value < 0)) fail(line, `counter ${name} must be a non-negative number`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (series.has(key)) fail(line, `duplicate series ${name}${JSON.stringify(labels)}`);
    series.add(key);
    f.samples.push({ name, labels, value, ...(vm[2] !== undefined ? { timestamp: Number(vm[2]) } : {}) });
  });
  for (const f of families.values()) delete (f as { typed?: boolean }).typed;
  return families;
}

/** The value of one series, or undefined when there is none. */
export function sampleValue(families: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const f = familyOf(name, families);
  const want = JSON.stringify(Object.entries(labels).sort());
  return f?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}
