// HTTP requests for server tests, on node:http so a test can choose the local address it connects
// from (127.x.y.z — a separate identity for the server's failed-auth limiter), stream request
// bodies from disk (multipart uploads of any size) and hash responses without holding them.

import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string | null;
  body?: Buffer | string | Readable;
  /** Content-Length for a streamed body. */
  contentLength?: number;
  localAddress?: string;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text(): string;
  json<T = Record<string, unknown>>(): T;
}

/** Sends a request and resolves with the response head and its live body stream. */
export function openRequest(url: string, opts: RequestOptions = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.contentLength !== undefined) headers['content-length'] = String(opts.contentLength);
    else if (opts.body !== undefined && !(opts.body instanceof Readable)) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = request(url, { method: opts.method ?? 'GET', headers, localAddress: opts.localAddress, timeout: opts.timeoutMs ?? 120_000 });
    req.on('response', resolve);
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`request to ${url} timed out`)));
    if (opts.body instanceof Readable) opts.body.pipe(req);
    else req.end(opts.body);
  });
}

export async function httpRequest(url: string, opts: RequestOptions = {}): Promise<HttpResponse> {
  const res = await openRequest(url, opts);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    body,
    text: () => body.toString('utf8'),
    json: <T>() => JSON.parse(body.toString('utf8')) as T,
  };
}

export interface StreamedDownload {
  status: number;
  headers: IncomingHttpHeaders;
  bytes: number;
  sha256: string;
  /** Whether the body ended normally (false: the server aborted the transfer). */
  complete: boolean;
}

/** GETs a URL, hashing the body as it streams (and writing it to `saveTo` if given). */
export async function downloadHashed(url: string, opts: RequestOptions & { saveTo?: string; onChunk?: (c: Buffer) => void } = {}): Promise<StreamedDownload> {
  const res = await openRequest(url, opts);
  const hash = createHash('sha256');
  let bytes = 0;
  const sink = opts.saveTo ? createWriteStream(opts.saveTo) : null;
  let complete = true;
  try {
    await pipeline(
      res,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          hash.update(chunk);
          bytes += chunk.length;
          opts.onChunk?.(chunk);
          yield chunk;
        }
      },
      sink ?? (async (source: AsyncIterable<Buffer>) => {
        for await (const _ of source);
      }),
    );
  } catch {
    complete = false;
  }
  return { status: res.statusCode ?? 0, headers: res.headers, bytes, sha256: hash.digest('hex'), complete };
}

export interface UploadOptions {
  token?: string | null;
  /** The multipart part's file name (default backup.tar). */
  fileName?: string;
  localAddress?: string;
  /** Sees every chunk of the file as it is sent (e.g. to hash it on the way). */
  onFileChunk?: (chunk: Buffer) => void;
}

/** A multipart/form-data POST with one file part, streamed from `file` (a path) or a buffer. */
export async function multipartUpload(url: string, file: string | Buffer, opts: UploadOptions = {}): Promise<HttpResponse> {
  const boundary = `----lifeboat-test-${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${opts.fileName ?? 'backup.tar'}"\r\n` +
      'Content-Type: application/x-tar\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const size = typeof file === 'string' ? (await stat(file)).size : file.length;
  const body = Readable.from(
    (async function* () {
      yield head;
      const chunks = typeof file === 'string' ? (createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) : [file];
      for await (const chunk of chunks) {
        opts.onFileChunk?.(chunk);
        yield chunk;
      }
      yield tail;
    })(),
  );
  return httpRequest(url, {
    method: 'POST',
    token: opts.token,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    body,
    contentLength: head.length + size + tail.length,
    localAddress: opts.localAddress,
    timeoutMs: 600_000,
  });
}

/** SHA-256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
