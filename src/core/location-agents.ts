// The configured backup locations as live agents of the manager: created from the settings when
// the application opens, re-created when the locations change (another process's `location add`
// included), closed when removed. A location whose settings or credentials are invalid is logged
// and left out, so one bad entry never stops the others.

import type { LocationConfig } from '../agents/location-config.js';
import type { LocationRegistry } from '../agents/location-registry.js';
import type { BackupManager } from '../manager/backup-manager.js';
import type { Logger } from '../util/logger.js';
import type { Clock } from '../util/clock.js';
import type { RetryPolicy } from '../agents/retrying-agent.js';
import { SecretsStore } from '../settings/secrets-store.js';

export interface LocationAgentsOptions {
  secretsPath: string;
  registry: LocationRegistry;
  clock: Clock;
  log: Logger;
  retry?: Partial<RetryPolicy>;
}

/** What makes a location's agent: its settings (the pinned host key too) and credentials. */
function identity(location: LocationConfig, secrets: Record<string, string>): string {
  return JSON.stringify([location, secrets]);
}

export class LocationAgents {
  private readonly live = new Map<string, { key: string; close: () => Promise<void> }>();
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly manager: BackupManager,
    private readonly opts: LocationAgentsOptions,
  ) {}

  get ids(): string[] {
    return [...this.live.keys()];
  }

  /** Brings the manager's location agents in line with `locations` (one change after the other). */
  sync(locations: readonly LocationConfig[]): Promise<void> {
    const next = this.running.then(() => this.apply(locations));
    this.running = next.catch(() => undefined);
    return next;
  }

  private async apply(locations: readonly LocationConfig[]): Promise<void> {
    const secrets = await SecretsStore.open(this.opts.secretsPath);
    const wanted = new Map(locations.map((l) => [l.id, l]));
    for (const [id, entry] of [...this.live]) {
      const next = wanted.get(id);
      const key = next ? identity(next, secrets.locationSecrets(id)) : null;
      if (key === entry.key) continue;
      this.manager.unregisterAgent(id);
      this.live.delete(id);
      await entry.close().catch(() => undefined);
    }
    for (const location of locations) {
      if (this.live.has(location.id)) continue;
      const creds = secrets.locationSecrets(location.id);
      try {
        const { agent, close } = this.opts.registry.agent(location, creds, {
          clock: this.opts.clock,
          log: this.opts.log,
          retry: {
            ...this.opts.retry,
            onRetry: ({ agentId, attempt, delayMs, error }) =>
              this.opts.log.warn(`Upload to ${agentId} failed (attempt ${attempt}); retrying in ${Math.round(delayMs / 1000)} s`, {
                error: (error as Error).message,
              }),
          },
        });
        this.manager.registerAgent(agent);
        this.live.set(location.id, { key: identity(location, creds), close });
      } catch (err) {
        this.opts.log.warn(`Backup location ${location.id} is left out: ${(err as Error).message}`);
      }
    }
  }

  async close(): Promise<void> {
    for (const [id, entry] of [...this.live]) {
      this.manager.unregisterAgent(id);
      await entry.close().catch(() => undefined);
    }
    this.live.clear();
  }
}
