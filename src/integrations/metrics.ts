// Prometheus metrics of `lifeboat serve`, derived from the manager's event stream, the Backup
// entities and the backup listing: manager state, schedule times, the last create / receive /
// restore (start, success, duration, result), failures by reason, bytes uploaded per location, and
// backups per location. Counters and the last operations are kept in `<data>/metrics.json`, so they
// survive restarts.

import { join } from 'node:path';
import { z } from 'zod';
import type { LifeboatCore } from '../core/lifeboat-core.js';
import {
  ENTITY,
  LOCAL_AGENT_ID,
  MANAGER_STATES,
  isStateEvent,
  isUploadProgress,
  nowDate,
  nowMs,
  systemClock,
  type BackupListing,
  type Clock,
  type ManagerEvent,
} from '../core/types.js';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';
import { VERSION } from '../version.js';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus, type MetricFamily, type Sample } from './prometheus-text.js';

const OPERATIONS = { create_backup: 'create', receive_backup: 'receive', restore_backup: 'restore' } as const;
type Operation = (typeof OPERATIONS)[keyof typeof OPERATIONS];

const LastOperationSchema = z.object({
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  succeeded_at: z.string().nullable(),
  duration_seconds: z.number().nullable(),
  result: z.enum(['completed', 'failed']).nullable(),
});
type LastOperation = z.infer<typeof LastOperationSchema>;

const counts = z.record(z.string(), z.number().nonnegative());
const StoreSchema = z.object({
  version: z.literal(1),
  last: z.record(z.string(), LastOperationSchema),
  /** operation → result → count */
  operations: z.record(z.string(), counts),
  /** operation → reason → count */
  failures: z.record(z.string(), counts),
  /** location → bytes */
  uploaded_bytes: counts,
});
type Store = z.infer<typeof StoreSchema>;

const emptyStore = (): Store => ({ version: 1, last: {}, operations: {}, failures: {}, uploaded_bytes: {} });
const emptyLast = (): LastOperation => ({ started_at: null, finished_at: null, succeeded_at: null, duration_seconds: null, result: null });

const LISTING_TTL_MS = 60_000;

const seconds = (iso: string | null | undefined): number | null => {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms / 1000;
};

function add(map: Record<string, Record<string, number>>, a: string, b: string, n = 1): void {
  const inner = (map[a] ??= {});
  inner[b] = (inner[b] ?? 0) + n;
}

export class MetricsCollector {
  private started = new Map<Operation, number>();
  private uploadedNow = new Map<string, number>();
  private listing: { at: number; value: BackupListing } | null = null;
  private persisting: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;

  readonly contentType = PROMETHEUS_CONTENT_TYPE;

  private constructor(
    private readonly core: LifeboatCore,
    private readonly path: string,
    private store: Store,
    private readonly clock: Clock,
  ) {}

  /** Loads the saved counters (kept in the data folder) and starts following the event stream. */
  static async start(core: LifeboatCore, clock: Clock = systemClock): Promise<MetricsCollector> {
    const path = join(core.status.dataFolder, 'metrics.json');
    const stored = await readJson(path, StoreSchema).catch((err: unknown) => {
      core.log.warn('The saved metrics could not be read; counting from zero', { error: (err as Error).message });
      return null;
    });
    const collector = new MetricsCollector(core, path, stored ?? emptyStore(), clock);
    collector.unsubscribe = core.status.onEvent((e) => collector.onEvent(e));
    return collector;
  }

  private onEvent(e: ManagerEvent): void {
    if (isUploadProgress(e)) {
      if (e.agent_id === LOCAL_AGENT_ID) return; // its copy is written in place, nothing is uploaded
      const before = this.uploadedNow.get(e.agent_id) ?? 0;
      if (e.uploaded_bytes > before) this.store.uploaded_bytes[e.agent_id] = (this.store.uploaded_bytes[e.agent_id] ?? 0) + e.uploaded_bytes - before;
      this.uploadedNow.set(e.agent_id, e.uploaded_bytes);
      return;
    }
    if (!isStateEvent(e) || e.manager_state === 'idle' || e.manager_state === 'blocked') {
      if (isStateEvent(e) && e.manager_state === 'idle') this.listing = null;
      return;
    }
    const op = OPERATIONS[e.manager_state];
    const at = nowDate(this.clock);
    const last = (this.store.last[op] ??= emptyLast());
    if (e.state === 'in_progress') {
      if (e.stage === null || !this.started.has(op)) {
        this.started.set(op, at.getTime());
        this.uploadedNow.clear();
        last.started_at = at.toISOString();
      }
      return;
    }
    if (e.state !== 'completed' && e.state !== 'failed') return;
    const start = this.started.get(op);
    this.started.delete(op);
    last.finished_at = at.toISOString();
    last.duration_seconds = start === undefined ? null : (at.getTime() - start) / 1000;
    last.result = e.state;
    if (e.state === 'completed') last.succeeded_at = at.toISOString();
    else add(this.store.failures, op, e.reason ?? 'unknown');
    add(this.store.operations, op, e.state);
    this.uploadedNow.clear();
    this.listing = null;
    void this.persist();
  }

  private persist(): Promise<void> {
    const snapshot = structuredClone(this.store);
    this.persisting = this.persisting
      .catch(() => undefined)
      .then(() => writeJsonAtomic(this.path, snapshot))
      .catch((err: unknown) => this.core.log.warn('Could not save the metrics', { error: (err as Error).message }));
    return this.persisting;
  }

  private async backups(): Promise<BackupListing> {
    if (this.listing && nowMs(this.clock) - this.listing.at < LISTING_TTL_MS) return this.listing.value;
    const value = await this.core.backups.list();
    this.listing = { at: nowMs(this.clock), value };
    return value;
  }

  private entitySeconds(entityId: string): Sample[] {
    const v = seconds(this.core.status.entity(entityId)?.state);
    return v === null ? [] : [{ value: v }];
  }

  /** The metrics in Prometheus text format. */
  async render(): Promise<string> {
    const { store, core } = this;
    const listing = await this.backups();
    const locations = core.backups.agents().map((a) => a.agent_id);
    const perOp = (pick: (l: LastOperation) => number | null): Sample[] =>
      Object.entries(store.last).flatMap(([operation, l]) => {
        const v = pick(l);
        return v === null ? [] : [{ labels: { operation }, value: v }];
      });
    const nested = (map: Record<string, Record<string, number>>, second: string): Sample[] =>
      Object.entries(map).flatMap(([operation, inner]) => Object.entries(inner).map(([k, value]) => ({ labels: { operation, [second]: k }, value })));
    const newest = listing.backups[0];
    const families: MetricFamily[] = [
      { name: 'lifeboat_info', help: 'Lifeboat version.', type: 'gauge', samples: [{ labels: { version: VERSION }, value: 1 }] },
      {
        name: 'lifeboat_manager_state',
        help: 'Backup manager state (1 for the current state).',
        type: 'gauge',
        samples: MANAGER_STATES.map((state) => ({ labels: { state }, value: core.status.state === state ? 1 : 0 })),
      },
      {
        name: 'lifeboat_next_scheduled_automatic_backup_timestamp_seconds',
        help: 'When the next automatic backup is scheduled (absent when none is).',
        type: 'gauge',
        samples: this.entitySeconds(ENTITY.nextScheduled),
      },
      {
        name: 'lifeboat_last_attempted_automatic_backup_timestamp_seconds',
        help: 'When the last automatic backup was attempted.',
        type: 'gauge',
        samples: this.entitySeconds(ENTITY.lastAttempted),
      },
      {
        name: 'lifeboat_last_successful_automatic_backup_timestamp_seconds',
        help: 'When the last automatic backup succeeded.',
        type: 'gauge',
        samples: this.entitySeconds(ENTITY.lastSuccessful),
      },
      {
        name: 'lifeboat_last_operation_start_timestamp_seconds',
        help: 'When the last create, receive or restore started (manual ones included).',
        type: 'gauge',
        samples: perOp((l) => seconds(l.started_at)),
      },
      {
        name: 'lifeboat_last_operation_success_timestamp_seconds',
        help: 'When the last create, receive or restore completed successfully.',
        type: 'gauge',
        samples: perOp((l) => seconds(l.succeeded_at)),
      },
      {
        name: 'lifeboat_last_operation_duration_seconds',
        help: 'How long the last finished create, receive or restore took.',
        type: 'gauge',
        samples: perOp((l) => l.duration_seconds),
      },
      {
        name: 'lifeboat_last_operation_succeeded',
        help: 'Whether the last finished create, receive or restore completed (1) or failed (0).',
        type: 'gauge',
        samples: perOp((l) => (l.result === null ? null : l.result === 'completed' ? 1 : 0)),
      },
      { name: 'lifeboat_operations_total', help: 'Finished operations by result.', type: 'counter', samples: nested(store.operations, 'result') },
      { name: 'lifeboat_operation_failures_total', help: 'Failed operations by reason.', type: 'counter', samples: nested(store.failures, 'reason') },
      {
        name: 'lifeboat_uploaded_bytes_total',
        help: 'Bytes uploaded to each location (the local folder is written in place and not counted).',
        type: 'counter',
        samples: Object.entries(store.uploaded_bytes).map(([location, value]) => ({ labels: { location }, value })),
      },
      {
        name: 'lifeboat_last_backup_timestamp_seconds',
        help: 'Date of the newest backup on any location.',
        type: 'gauge',
        samples: newest && seconds(newest.date) !== null ? [{ value: seconds(newest.date) as number }] : [],
      },
      {
        name: 'lifeboat_last_backup_size_bytes',
        help: 'Size of the newest backup on each location that holds it.',
        type: 'gauge',
        samples: newest ? Object.entries(newest.agents).map(([location, a]) => ({ labels: { location }, value: a.size })) : [],
      },
      {
        name: 'lifeboat_location_backups',
        help: 'Backups stored on each location.',
        type: 'gauge',
        samples: locations.map((location) => ({ labels: { location }, value: listing.backups.filter((b) => b.agents[location]).length })),
      },
      {
        name: 'lifeboat_location_size_bytes',
        help: 'Bytes of backups stored on each location.',
        type: 'gauge',
        samples: locations.map((location) => ({
          labels: { location },
          value: listing.backups.reduce((sum, b) => sum + (b.agents[location]?.size ?? 0), 0),
        })),
      },
      {
        name: 'lifeboat_location_up',
        help: 'Whether each location could be listed (1) or not (0).',
        type: 'gauge',
        samples: locations.map((location) => ({ labels: { location }, value: listing.agentErrors[location] === undefined ? 1 : 0 })),
      },
    ];
    return renderPrometheus(families);
  }

  /** Stops following events and waits for the last save. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.persisting;
  }
}
