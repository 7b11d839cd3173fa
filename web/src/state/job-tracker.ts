// The live state of the current (or last) create, receive or restore job, folded from the
// manager's events: which step it is in, per-location upload bytes, and Lifeboat's byte progress
// with a rate over the last seconds and an ETA when the total is known.

import type { LifeboatProgressEvent, StateEvent, UploadProgressEvent } from '../api/types.js';

export type JobKind = 'create_backup' | 'receive_backup' | 'restore_backup';

export const JOB_STEPS: Record<JobKind, string[]> = {
  create_backup: ['start', 'home_assistant', 'upload_to_agents', 'cleaning_up', 'finished'],
  receive_backup: ['start', 'receive_file', 'upload_to_agents', 'finished'],
  restore_backup: ['start', 'extract', 'swap', 'finished'],
};

export interface ByteProgress {
  step: string;
  done: number;
  total: number | null;
  /** bytes per second over the last few seconds, when known */
  rate: number | null;
  /** seconds left, when the total and the rate are known */
  eta: number | null;
}

export interface Job {
  kind: JobKind;
  state: string;
  reason: string | null;
  /** The step now (one of JOB_STEPS[kind]). */
  step: string;
  uploads: Record<string, { uploaded: number; total: number }>;
  bytes: ByteProgress | null;
  /** Every step shown, in order, and the most bytes reported: what the user saw happen. */
  seen: string[];
  peakBytes: number;
  startedAt: number;
  finishedAt: number | null;
}

const WINDOW_MS = 5000;

export class JobTracker {
  current: Job | null = null;
  private samples: { t: number; done: number }[] = [];

  constructor(private readonly now: () => number = () => Date.now()) {}

  get running(): boolean {
    return !!this.current && this.current.finishedAt === null;
  }

  onState(e: StateEvent): void {
    if (e.manager_state === 'idle' || e.manager_state === 'blocked') return;
    const kind = e.manager_state as JobKind;
    let job = this.current;
    if (!job || job.finishedAt !== null || job.kind !== kind) {
      if (e.state !== 'in_progress') return; // an old outcome replayed on subscribe: not a live job
      job = { kind, state: e.state, reason: null, step: 'start', uploads: {}, bytes: null, seen: ['start'], peakBytes: 0, startedAt: this.now(), finishedAt: null };
      this.samples = [];
      this.current = job;
    }
    job.state = e.state;
    job.reason = e.reason;
    if (e.state === 'completed' || e.state === 'failed') {
      job.finishedAt = this.now();
      if (e.state === 'completed') this.advance(job, 'finished');
      return;
    }
    if (e.stage && JOB_STEPS[kind].includes(e.stage)) this.advance(job, e.stage);
  }

  private advance(job: Job, step: string): void {
    const steps = JOB_STEPS[job.kind];
    if (steps.indexOf(step) > steps.indexOf(job.step)) {
      job.step = step;
      job.seen = [...job.seen, step];
    }
  }

  onUpload(e: UploadProgressEvent): void {
    const job = this.current;
    if (!job || job.finishedAt !== null) return;
    job.uploads = { ...job.uploads, [e.agent_id]: { uploaded: e.uploaded_bytes, total: e.total_bytes } };
    this.advance(job, 'upload_to_agents');
  }

  onProgress(e: LifeboatProgressEvent): void {
    const job = this.current;
    if (!job || job.finishedAt !== null || job.kind !== e.manager_state) return;
    if (job.kind === 'restore_backup' && JOB_STEPS.restore_backup.includes(e.step)) this.advance(job, e.step);
    if (job.kind === 'receive_backup' && e.step === 'receive_file') this.advance(job, 'receive_file');
    const t = this.now();
    if (job.bytes?.step !== e.step) this.samples = [];
    this.samples.push({ t, done: e.done_bytes });
    while (this.samples.length > 2 && t - (this.samples[0] as { t: number }).t > WINDOW_MS) this.samples.shift();
    const first = this.samples[0] as { t: number; done: number };
    const dt = (t - first.t) / 1000;
    const rate = dt >= 0.5 && e.done_bytes > first.done ? (e.done_bytes - first.done) / dt : null;
    const eta = rate && e.total_bytes !== null ? Math.max(0, (e.total_bytes - e.done_bytes) / rate) : null;
    job.bytes = { step: e.step, done: e.done_bytes, total: e.total_bytes, rate, eta };
    job.peakBytes = Math.max(job.peakBytes, e.done_bytes);
  }

  dismiss(): void {
    if (this.current?.finishedAt !== null) this.current = null;
  }
}
