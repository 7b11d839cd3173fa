// Hands a finished backup file to every other target location in parallel, with Home Assistant's
// upload-progress events (at most one per second per location, plus a final one). Each location
// gets the protection it asks for: the file as is, or re-encrypted or decrypted on the fly (an
// encrypted location never receives plaintext); a received backup always goes as is, byte for
// byte. Locations that get the file as is share one SHA-256 of it (given by the caller when it
// knows it, else computed once on a worker thread when two or more need it) instead of each hashing
// its own stream. What each location got (size, SHA-256) is recorded in the data folder, so a copy
// fetched back later is checked against what Lifeboat sent. One location's failure never stops the
// others; failed copies are queued for retrying in the background, and their ids are returned.

import type { AgentBackup } from '../archive/backup-json.js';
import { withBackupReader } from '../archive/backup-reader.js';
import { readFileChunks } from '../archive/byte-source.js';
import { errorMessage } from '../util/errors.js';
import { nowDate } from '../util/clock.js';
import { fileSha256 } from '../util/file-sha256.js';
import { planReencode } from '../archive/reencode.js';
import type { OpenStream } from '../agents/agent.js';
import { BackgroundSha256 } from '../agents/background-sha256.js';
import type { JobContext } from './job-context.js';
import type { ManagerState, UploadProgressEvent } from './events.js';

export interface FanoutOptions {
  managerState?: ManagerState;
  /** The key for per-location protection (the file's own password, or the one it should get). */
  password?: string | null;
  /** Send the file unchanged to every location (received backups). */
  asIs?: boolean;
  /** The file's SHA-256 (hex), when the caller already has it. */
  sha256?: string;
}

export type StreamPlan = 'as_is' | 'encrypt' | 'decrypt';

/**
 * Home Assistant's upload progress of one location. Every target gets a final one with all bytes
 * uploaded, the local folder too (its copy is in place once the file is written).
 */
export function uploadProgress(managerState: ManagerState, agentId: string, uploaded: number, total: number): UploadProgressEvent {
  return { manager_state: managerState, agent_id: agentId, uploaded_bytes: uploaded, total_bytes: total };
}

/** Home Assistant's decision per location (§3.4): as is, encrypted or decrypted on the fly. */
export function streamPlan(opts: { asIs: boolean; password: string | null; fileProtected: boolean; desired: boolean | undefined }): StreamPlan {
  if (opts.asIs || opts.password === null) return 'as_is';
  const desired = opts.desired ?? true; // no per-location entry: encrypted when a password was given
  if (desired === opts.fileProtected) return 'as_is';
  return desired ? 'encrypt' : 'decrypt';
}

async function sendTo(
  ctx: JobContext,
  agentId: string,
  backup: AgentBackup,
  file: string,
  plan: StreamPlan,
  password: string | null,
  managerState: ManagerState,
  fileDigest: (() => Promise<string>) | undefined,
): Promise<void> {
  const agent = ctx.agents.get(agentId);
  if (!agent) throw new Error(`location ${agentId} is not available`);
  // Every copy but the one in the local backup folder is recorded (a shared folder is not ours either).
  const remote = agentId !== ctx.local.agentId;
  const upload = async (record: AgentBackup, open: OpenStream, sha256: (() => Promise<string>) | undefined, sent: () => Promise<string>) => {
    let last = -Infinity;
    const progress = (uploaded: number, force = false) => {
      const t = performance.now();
      if (!force && t - last < 1000) return;
      last = t;
      ctx.emit(uploadProgress(managerState, agentId, uploaded, record.size));
    };
    await agent.upload(record, open, { onProgress: (n) => progress(n), signal: ctx.signal, sha256 });
    progress(record.size, true);
    if (remote) await ctx.copies.put(agentId, record.backup_id, { size: record.size, sha256: await sent() });
  };
  if (plan === 'as_is') {
    if (fileDigest || !remote) return upload(backup, fileStream(file), fileDigest, fileDigest ?? (() => fileSha256(file)));
    // The same bytes on every attempt: the first complete read's digest is the copy's.
    const hashed = hashingStream(fileStream(file));
    return upload(backup, hashed.open, hashed.first, hashed.first);
  }
  await withBackupReader(file, async (reader) => {
    const reencoded = await planReencode(reader, { protect: plan === 'encrypt', password: password as string });
    // Each attempt encrypts anew (fresh salt and nonces): the copy is what the last attempt sent.
    const hashed = hashingStream(() => reencoded.open());
    await upload(reencoded.backup, remote ? hashed.open : () => reencoded.open(), undefined, hashed.latest);
  });
}

/**
 * A stream that hashes what passes through it, on a worker thread beside the upload: `first` is the
 * digest of the first attempt read to the end, `latest` that of the most recent one.
 */
function hashingStream(open: OpenStream): { open: OpenStream; first: () => Promise<string>; latest: () => Promise<string> } {
  let resolveFirst!: (hex: string) => void;
  const first = new Promise<string>((res) => (resolveFirst = res));
  let latest: string | null = null;
  return {
    open: () =>
      (async function* () {
        const hash = new BackgroundSha256();
        let complete = false;
        try {
          for await (const chunk of open()) {
            await hash.update(chunk);
            yield chunk;
          }
          complete = true;
        } finally {
          if (!complete) void hash.dispose(); // an attempt that stopped early
        }
        latest = await hash.digest();
        resolveFirst(latest);
      })(),
    first: () => first,
    latest: async () => {
      if (latest === null) throw new Error('the copy was not read to the end');
      return latest;
    },
  };
}

/** A finished backup file as an upload stream. */
export function fileStream(file: string): OpenStream {
  return () => readFileChunks(file);
}

export async function uploadToAgents(ctx: JobContext, agentIds: string[], backup: AgentBackup, file: string, opts: FanoutOptions = {}): Promise<string[]> {
  const managerState = opts.managerState ?? 'create_backup';
  const password = opts.password ?? null;
  const asIs = opts.asIs ?? false;
  const failed: string[] = [];
  const available = agentIds.filter((id) => ctx.agents.has(id));
  failed.push(...agentIds.filter((id) => !ctx.agents.has(id)));
  const plans = new Map(
    available.map((id) => [id, streamPlan({ asIs, password, fileProtected: backup.protected, desired: ctx.protectedFor(id) })]),
  );
  // The file's digest, for the locations that record one: given, or taken once (when the first
  // of two or more such locations asks) for all of them.
  const sharing = [...plans.values()].filter((p) => p === 'as_is').length >= 2;
  let shared: Promise<string> | undefined = opts.sha256 === undefined ? undefined : Promise.resolve(opts.sha256);
  const fileDigest =
    shared || sharing
      ? () => {
          if (!shared) {
            shared = fileSha256(file);
            shared.catch(() => undefined); // each upload that uses it sees the failure
          }
          return shared;
        }
      : undefined;
  await Promise.all(
    available.map(async (agentId) => {
      const plan = plans.get(agentId) as StreamPlan;
      try {
        await sendTo(ctx, agentId, backup, file, plan, password, managerState, fileDigest);
        await ctx.uploadQueue.remove(backup.backup_id, agentId);
      } catch (err) {
        ctx.log.warn(`Upload to ${agentId} failed`, { error: errorMessage(err) });
        failed.push(agentId);
        if (!ctx.signal.aborted) {
          await ctx.uploadQueue
            .failed(backup.backup_id, agentId, asIs || password === null, errorMessage(err), nowDate(ctx.clock))
            .catch((e: unknown) => ctx.log.warn('Could not queue the failed copy for a retry', { error: errorMessage(e) }));
        }
      }
    }),
  );
  return failed;
}
