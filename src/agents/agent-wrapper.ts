// The base of the wrappers (retry, bandwidth limit, verification): a BackupAgent that forwards
// every call to the agent it wraps, and passes its capabilities through, so each wrapper overrides
// only what it changes. Cross-cutting behaviour lives in wrappers, never in flags inside the kinds.

import type { AgentBackup } from '../archive/backup-json.js';
import type { AgentCapabilities, BackupAgent, OpenStream, UploadOptions } from './agent.js';

export class AgentWrapper implements BackupAgent {
  readonly domain: string;
  readonly uniqueId: string;
  readonly agentId: string;
  readonly name: string;
  readonly capabilities: AgentCapabilities;

  constructor(readonly inner: BackupAgent) {
    this.capabilities = inner.capabilities;
    this.domain = inner.domain;
    this.uniqueId = inner.uniqueId;
    this.agentId = inner.agentId;
    this.name = inner.name;
  }

  upload(backup: AgentBackup, open: OpenStream, opts?: UploadOptions): Promise<void> {
    return this.inner.upload(backup, open, opts);
  }

  download(backupId: string, opts?: { signal?: AbortSignal }): Promise<AsyncIterable<Buffer>> {
    return this.inner.download(backupId, opts);
  }

  list(opts?: { signal?: AbortSignal }): Promise<AgentBackup[]> {
    return this.inner.list(opts);
  }

  get(backupId: string, opts?: { signal?: AbortSignal }): Promise<AgentBackup> {
    return this.inner.get(backupId, opts);
  }

  delete(backupId: string, opts?: { signal?: AbortSignal }): Promise<void> {
    return this.inner.delete(backupId, opts);
  }
}
