// The HTTP side of the API: the access token's storage (this tab only, or this device when the
// user asks to be remembered), backup downloads (as stored or decrypted), uploads with progress,
// whether this address is locked out after refused tokens, and the onboarding endpoints that work
// without a token on an empty installation, and whether Home Assistant's ingress proxy has signed the
// page in. Every address is made with serverPath (base-url.ts), so the page works under ingress.

import { serverPath } from './base-url.js';
import type { OnboardingInfo } from './types.js';

const TOKEN_KEY = 'lifeboat.token';

export const tokenStorage = {
  load(): string | null {
    return sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY);
  },
  save(token: string, remember: boolean): void {
    this.clear();
    (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, token);
  },
  clear(): void {
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(TOKEN_KEY);
  },
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function errorOf(res: Response): Promise<HttpError> {
  const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string };
  return new HttpError(res.status, body.code ?? `http_${res.status}`, body.message ?? res.statusText);
}

function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * The download path of a backup on one location; `decrypted`: decrypted on the server with its own
 * key (`decrypt=1`), so the key never travels in a URL.
 */
export function downloadPath(backupId: string, agentId: string, decrypted: boolean): string {
  const query = new URLSearchParams({ agent_id: agentId });
  if (decrypted) query.set('decrypt', '1');
  return `/api/backup/download/${encodeURIComponent(backupId)}?${query}`;
}

/**
 * Starts a download from a signed path (auth/sign_path): the browser streams the file straight to
 * disk, so a backup of any size never sits in the page's memory.
 */
export function startSignedDownload(signedPath: string): void {
  const a = document.createElement('a');
  a.href = serverPath(signedPath);
  a.download = '';
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
}

/** Saves a text file (the emergency kit). */
export function saveText(text: string, fileName: string): void {
  saveBlob(new Blob([text], { type: 'text/plain;charset=utf-8' }), fileName);
}

export interface UploadHandle {
  done: Promise<{ backup_id: string }>;
  abort(): void;
}

/** Uploads a backup file with progress (XMLHttpRequest, for its upload events). */
export function uploadBackup(file: File, opts: { token: string | null; agentIds: string[]; onboarding?: boolean; onProgress: (sent: number, total: number) => void }): UploadHandle {
  const xhr = new XMLHttpRequest();
  const query = new URLSearchParams(opts.agentIds.map((id) => ['agent_id', id]));
  const path = opts.onboarding ? '/api/onboarding/backup/upload' : '/api/backup/upload';
  const done = new Promise<{ backup_id: string }>((resolve, reject) => {
    xhr.open('POST', `${serverPath(path)}?${query}`);
    if (opts.token) xhr.setRequestHeader('authorization', `Bearer ${opts.token}`);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (ev) => opts.onProgress(ev.loaded, ev.lengthComputable ? ev.total : file.size);
    xhr.onload = () => {
      const body = (xhr.response ?? {}) as { backup_id?: string; code?: string; message?: string };
      if (xhr.status === 201 && body.backup_id) resolve({ backup_id: body.backup_id });
      else reject(new HttpError(xhr.status, body.code ?? `http_${xhr.status}`, body.message ?? xhr.statusText));
    };
    xhr.onerror = () => reject(new HttpError(0, 'network_error', 'The connection failed'));
    xhr.onabort = () => reject(new HttpError(0, 'aborted', 'Cancelled'));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
  return { done, abort: () => xhr.abort() };
}

/**
 * Whether this address is locked out after too many refused tokens: the server answers 429 while it
 * is, and a request without a token is never counted as a wrong guess.
 */
export async function lockedOut(): Promise<boolean> {
  return (await fetch(serverPath('/api/'))).status === 429;
}

/**
 * Whether the API answers this page without a token: served through Home Assistant's ingress, the
 * proxy signs in the Home Assistant user (`lifeboat serve` alone answers 401).
 */
export async function signedInByProxy(): Promise<boolean> {
  return (await fetch(serverPath('/api/'))).ok;
}

/** The code of a one-time sign-in link (`#/sign-in/<code>`) in the address, if there is one. */
export function signInLinkCode(hash: string): string | null {
  const m = /^#\/sign-in\/([A-Za-z0-9_-]{16,200})$/.exec(hash);
  return m ? (m[1] as string) : null;
}

/** Trades a sign-in link's code for an access token; throws HttpError when it is refused. */
export async function redeemSignInLink(code: string): Promise<string> {
  const res = await fetch(serverPath('/api/lifeboat/sign_in_link'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  if (!res.ok) throw await errorOf(res);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The onboarding info, or null when onboarding is closed (a token exists or the installation is set up). */
export async function onboardingInfo(): Promise<OnboardingInfo | null> {
  const res = await fetch(serverPath('/api/onboarding/backup/info'));
  if (res.status === 401 || res.status === 403) return null;
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as OnboardingInfo;
}

export async function onboardingRestore(body: { backup_id: string; agent_id: string; password: string | null; restore_database: boolean }): Promise<void> {
  const res = await fetch(serverPath('/api/onboarding/backup/restore'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body.password === null ? { ...body, password: undefined } : body),
  });
  if (!res.ok) throw await errorOf(res);
}
