// Progress on a terminal: one self-rewriting line on stderr with stage, bytes, rate and ETA.
// Silent when stderr is not a terminal or when JSON output was requested.

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  return h > 0 ? `${h}:${String(m % 60).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}` : `${m}:${String(s % 60).padStart(2, '0')}`;
}

export class ProgressLine {
  private stage = '';
  private done = 0;
  private total: number | null = null;
  private started = Date.now();
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(enabled = process.stderr.isTTY === true, private readonly now: () => number = Date.now) {
    this.enabled = enabled;
  }

  setStage(stage: string, total: number | null = null): void {
    this.stage = stage;
    this.total = total;
    this.done = 0;
    this.started = this.now();
    this.draw(true);
  }

  add(bytes: number): void {
    this.done += bytes;
    this.draw(false);
  }

  set(bytes: number): void {
    this.done = bytes;
    this.draw(false);
  }

  /** The line as it would be drawn (exposed for tests). */
  render(): string {
    const elapsed = Math.max(0.001, (this.now() - this.started) / 1000);
    const rate = this.done / elapsed;
    let text = `${this.stage}: ${formatBytes(this.done)}`;
    if (this.total) {
      const pct = Math.min(100, (this.done / this.total) * 100);
      text += ` of ${formatBytes(this.total)} (${pct.toFixed(0)}%)`;
    }
    text += ` at ${formatBytes(rate)}/s`;
    if (this.total && rate > 0) text += `, ETA ${formatDuration((this.total - this.done) / rate)}`;
    return text;
  }

  private draw(force: boolean): void {
    if (!this.enabled) return;
    const t = this.now();
    if (!force && t - this.lastDraw < 200) return;
    this.lastDraw = t;
    process.stderr.write(`\r\x1b[2K${this.render()}`);
  }

  finish(message?: string): void {
    if (!this.enabled) return;
    process.stderr.write(`\r\x1b[2K${message ? `${message}\n` : ''}`);
  }
}
