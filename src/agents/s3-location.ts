// The `s3` location kind: any S3-compatible object store (AWS, MinIO, Ceph, Backblaze B2,
// Cloudflare R2, iDrive e2, …) through the AWS SDK. Archives are streamed with lib-storage's
// multipart upload (memory bounded by part size × parts in flight; the object appears only when
// the upload completes, and a failed or aborted upload is aborted on the server too, as far as the
// server allows, without that clean-up hiding why the upload failed). Checksums are only
// computed when the service requires them, which keeps streamed uploads working on stores that do
// not implement the SDK's default checksum mode.

import { Readable } from 'node:stream';
import type { S3Client, StorageClass } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { httpStatusOf } from './agent-errors.js';
import { BlobNotFound, MoveUnsupported, probeBlobName, listedName, probeStep, type BlobInfo, type BlobStore, type ListOptions, type ProbeReport, type PutOptions } from './blob-store.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const MiB = 1024 * 1024;
/** The largest object one CopyObject request copies. */
const MAX_COPY_OBJECT_BYTES = 5 * 1024 * MiB;
/** How long the clean-up of a failed multipart upload may take. */
const ABORT_PARTS_MS = 5_000;

// The SDK is large (tens of MiB once loaded), so it is loaded only when an S3 location is used.
const sdk = () => import('@aws-sdk/client-s3');

export const S3SettingsSchema = z.object({
  endpoint: z.string().url().nullable().default(null).describe('service URL (leave out for AWS)'),
  region: z.string().min(1).default('us-east-1').describe('region'),
  bucket: z.string().min(1).describe('bucket name'),
  prefix: z.string().default('').describe('key prefix (a "folder" in the bucket)'),
  path_style: z.boolean().default(false).describe('path-style addressing (MinIO, Ceph, most self-hosted stores)'),
  storage_class: z.string().nullable().default(null).describe('storage class, e.g. STANDARD_IA'),
  part_size_mib: z.number().int().min(5).max(512).default(8).describe('multipart part size in MiB (memory use is about 4 parts)'),
});
export const S3SecretsSchema = z.object({
  access_key_id: z.string().min(1).describe('access key id'),
  secret_access_key: z.string().min(1).describe('secret access key'),
});
export type S3Settings = z.infer<typeof S3SettingsSchema>;
export type S3Secrets = z.infer<typeof S3SecretsSchema>;

/** The SDK client as Lifeboat configures it (also used by the benchmark's plain upload). */
export async function s3Client(settings: S3Settings, secrets: S3Secrets): Promise<S3Client> {
  const { S3Client } = await sdk();
  return new S3Client({
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    region: settings.region,
    forcePathStyle: settings.path_style,
    credentials: { accessKeyId: secrets.access_key_id, secretAccessKey: secrets.secret_access_key },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // Lifeboat's retry wrapper decides about retries, with the stream re-opened each time.
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 15_000, socketTimeout: 120_000 },
  });
}

function isNotFound(err: unknown): boolean {
  const name = (err as Error)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || httpStatusOf(err) === 404;
}

export class S3Store implements BlobStore {
  readonly where: string;
  private client: Promise<S3Client> | null = null;
  private readonly prefix: string;

  constructor(
    private readonly settings: S3Settings,
    private readonly secrets: S3Secrets,
  ) {
    this.prefix = settings.prefix && !settings.prefix.endsWith('/') ? `${settings.prefix}/` : settings.prefix;
    this.where = `s3://${settings.bucket}/${this.prefix}${settings.endpoint ? ` at ${settings.endpoint}` : ''}`;
  }

  /** The client, made on first use. */
  private s3(): Promise<S3Client> {
    this.client ??= s3Client(this.settings, this.secrets);
    return this.client;
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }

  async put(name: string, data: AsyncIterable<Buffer>, opts: PutOptions): Promise<void> {
    const { Upload } = await import('@aws-sdk/lib-storage');
    const upload = new Upload({
      client: await this.s3(),
      params: {
        Bucket: this.settings.bucket,
        Key: this.key(name),
        Body: Readable.from(data, { objectMode: false }),
        ContentType: name.endsWith('.json') ? 'application/json' : 'application/x-tar',
        ...(this.settings.storage_class && !name.endsWith('.json') ? { StorageClass: this.settings.storage_class as StorageClass } : {}),
      },
      partSize: this.settings.part_size_mib * MiB,
      queueSize: 4,
      // The parts of a failed upload are removed below: the library would do it itself, but then a
      // failing clean-up (a server without AbortMultipartUpload) hides why the upload failed.
      leavePartsOnError: true,
    });
    if (opts.onProgress) upload.on('httpUploadProgress', (p) => p.loaded !== undefined && opts.onProgress?.(p.loaded));
    const onAbort = () => void upload.abort().catch(() => undefined);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      opts.signal?.throwIfAborted();
      await upload.done();
    } catch (err) {
      await this.removeParts(name, upload.uploadId);
      throw err;
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    opts.signal?.throwIfAborted();
  }

  /** Best effort: aborts a multipart upload so its parts do not stay (and cost) on the server. */
  private async removeParts(name: string, uploadId: string | undefined): Promise<void> {
    if (!uploadId) return;
    const { AbortMultipartUploadCommand } = await sdk();
    await (await this.s3())
      .send(new AbortMultipartUploadCommand({ Bucket: this.settings.bucket, Key: this.key(name), UploadId: uploadId }), {
        abortSignal: AbortSignal.timeout(ABORT_PARTS_MS),
      })
      .catch(() => undefined);
  }

  async get(name: string, opts: { signal?: AbortSignal } = {}): Promise<AsyncIterable<Buffer>> {
    try {
      const res = await (await this.s3()).send(new (await sdk()).GetObjectCommand({ Bucket: this.settings.bucket, Key: this.key(name) }), { abortSignal: opts.signal });
      return res.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFound(name);
      throw err;
    }
  }

  async list(opts: ListOptions = {}): Promise<BlobInfo[]> {
    const out: BlobInfo[] = [];
    let token: string | undefined;
    do {
      const res = await (await this.s3()).send(
        new (await sdk()).ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: this.prefix, ContinuationToken: token }),
        { abortSignal: opts.signal },
      );
      for (const o of res.Contents ?? []) {
        const name = (o.Key ?? '').slice(this.prefix.length);
        if (listedName(name, opts)) out.push({ name, size: o.Size ?? 0, ...(o.LastModified ? { mtimeMs: o.LastModified.getTime() } : {}), ...(o.ETag ? { etag: o.ETag } : {}) });
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  /**
   * A server-side copy, then the old key removed (S3 has no rename). CopyObject takes objects up
   * to 5 GiB; larger ones are left to the caller's streamed copy.
   */
  async move(from: string, to: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const { CopyObjectCommand, HeadObjectCommand, DeleteObjectCommand } = await sdk();
    const s3 = await this.s3();
    let size: number;
    try {
      size = (await s3.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.key(from) }), { abortSignal: opts.signal })).ContentLength ?? 0;
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFound(from);
      throw err;
    }
    if (size > MAX_COPY_OBJECT_BYTES) throw new MoveUnsupported(`${from} is larger than a server-side copy allows`);
    const source = `${this.settings.bucket}/${this.key(from)}`.split('/').map(encodeURIComponent).join('/');
    await s3.send(
      new CopyObjectCommand({
        Bucket: this.settings.bucket,
        Key: this.key(to),
        CopySource: source,
        ...(this.settings.storage_class && !to.endsWith('.json') ? { StorageClass: this.settings.storage_class as StorageClass } : {}),
      }),
      { abortSignal: opts.signal },
    );
    await s3.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.key(from) }), { abortSignal: opts.signal });
  }

  async remove(name: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await (await this.s3()).send(new (await sdk()).HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.key(name) }), { abortSignal: opts.signal });
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFound(name);
      throw err;
    }
    await (await this.s3()).send(new (await sdk()).DeleteObjectCommand({ Bucket: this.settings.bucket, Key: this.key(name) }), { abortSignal: opts.signal });
  }

  async probe(): Promise<ProbeReport> {
    const report: ProbeReport = { reachable: false, credentials: false, writable: false, freeBytes: null, detail: [] };
    let refused = false;
    const ok = await probeStep(report, 'bucket', async () => {
      try {
        await (await this.s3()).send(new (await sdk()).HeadBucketCommand({ Bucket: this.settings.bucket }));
      } catch (err) {
        const status = httpStatusOf(err);
        refused = status === 401 || status === 403;
        throw refused ? new Error(`access refused (HTTP ${status}): check the access key and secret`) : err;
      }
    });
    report.reachable = ok || refused;
    report.credentials = ok;
    if (!ok) return report;
    report.writable = await probeStep(report, 'write', async () => {
      const name = probeBlobName();
      await this.put(name, (async function* () { yield Buffer.from('lifeboat'); })(), {});
      await this.remove(name);
    });
    report.detail.push('free space: not reported by S3');
    return report;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) (await client.catch(() => null))?.destroy();
  }
}
