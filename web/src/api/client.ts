import createClient from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];

/**
 * The one typed client of the api (types generated from the api's OpenAPI document, see
 * `npm run openapi` at the repository root). Same origin: the console is served by the api.
 *
 * The access token lives in this module's memory only (never in storage a script could read
 * later); `authFetch` adds it, and on a 401 asks the session for one silent refresh and retries
 * once. The refresh token is not visible to scripts at all (see stores/session.ts).
 */
let accessToken: string | null = null;
let onUnauthorized: (() => Promise<boolean>) | null = null;

export function setAccessToken(token: string | null): void {
  accessToken = token;
}

export function hasAccessToken(): boolean {
  return accessToken !== null;
}

/** The session registers how to refresh; a 401 on a request with a token calls it once. */
export function setRefreshHandler(handler: () => Promise<boolean>): void {
  onUnauthorized = handler;
}

async function authFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const sentToken = accessToken;
  if (sentToken) input.headers.set('authorization', `Bearer ${sentToken}`);
  const res = await fetch(input);
  if (res.status !== 401 || !sentToken || !onUnauthorized || input.url.includes('/auth/')) return res;
  const refreshed = accessToken !== sentToken || (await onUnauthorized());
  if (!refreshed || !accessToken) return res;
  retry.headers.set('authorization', `Bearer ${accessToken}`);
  return fetch(retry);
}

export const api = createClient<paths>({ baseUrl: '', fetch: authFetch, credentials: 'same-origin' });

/** A download (template, error sheet) through the same token handling; returns the file. */
export async function download(url: string, init: RequestInit = {}): Promise<Blob> {
  const res = await authFetch(new Request(url, { credentials: 'same-origin', ...init }));
  if (!res.ok) throw await apiErrorFrom(res);
  return res.blob();
}

export interface DownloadProgress {
  /** Bytes received so far. */
  bytes: number;
  /** Content-Length when the server sent one (a streamed export has none). */
  total: number | null;
  /** Lines received so far (CSV: rows incl. the header), when asked to count them. */
  lines: number | null;
}

/**
 * A large download (a streamed export) read chunk by chunk through the same token handling, so
 * the page can show how much has arrived; `signal` cancels it. A connection lost half-way is an
 * ApiError, never a silently short file.
 */
export async function downloadWithProgress(url: string, onProgress: (p: DownloadProgress) => void, opts: { countLines?: boolean; signal?: AbortSignal } = {}): Promise<Blob> {
  let res: Response;
  try {
    res = await authFetch(new Request(url, { credentials: 'same-origin', signal: opts.signal }));
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw toApiError(null, 0);
  }
  if (!res.ok) throw await apiErrorFrom(res);
  const type = res.headers.get('content-type') ?? 'application/octet-stream';
  const total = Number(res.headers.get('content-length')) || null;
  if (!res.body) {
    const blob = await res.blob();
    onProgress({ bytes: blob.size, total, lines: null });
    return blob;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let bytes = 0;
  let lines = opts.countLines ? 0 : null;
  for (;;) {
    let part: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
    try {
      part = await reader.read();
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new ApiError(0, 'DOWNLOAD.INTERRUPTED', '下载中断（网络或服务器出错），文件不完整，请重试', [], null, null);
    }
    if (part.done) break;
    chunks.push(part.value);
    bytes += part.value.length;
    if (lines !== null) for (const b of part.value) if (b === 10) lines++;
    onProgress({ bytes, total, lines });
  }
  return new Blob(chunks, { type });
}

export interface UploadProgress {
  /** 0–100 while the file is sent; then the server checks it. */
  percent: number;
  sent: boolean;
}

/**
 * A multipart upload with progress (fetch cannot report upload progress, XMLHttpRequest can).
 * The caller names the generated response type; errors come back as ApiError like `call`.
 */
export function uploadWithProgress<T>(url: string, form: FormData, onProgress: (p: UploadProgress) => void): Promise<T> {
  const send = (token: string | null) =>
    new Promise<{ status: number; body: unknown }>((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', url);
      if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
      xhr.upload.onprogress = (e) => onProgress({ percent: e.lengthComputable ? Math.round((e.loaded / e.total) * 100) : 50, sent: false });
      xhr.upload.onload = () => onProgress({ percent: 100, sent: true });
      xhr.onload = () => {
        let body: unknown = null;
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = null;
        }
        resolve({ status: xhr.status, body });
      };
      xhr.onerror = () => resolve({ status: 0, body: null });
      xhr.send(form);
    });
  return (async () => {
    const sentToken = accessToken;
    let r = await send(sentToken);
    if (r.status === 401 && sentToken && onUnauthorized && (await onUnauthorized())) r = await send(accessToken);
    if (r.status < 200 || r.status >= 300) throw toApiError(r.body, r.status);
    return r.body as T;
  })();
}

/** Saves a Blob as a file the way a browser download does. */
export function saveBlob(blob: Blob, filename: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

export interface FieldMessage {
  field: string;
  message: string;
}

/**
 * What went wrong, in Chinese, for a person: the api's messages are "中文 / English"; the
 * Chinese half is shown. Field-level details (validation) are kept so forms can show each next
 * to its field.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldMessage[],
    readonly details: unknown,
    readonly requestId: string | null,
  ) {
    super(message);
  }
}

export function chinese(message: string): string {
  const i = message.indexOf(' / ');
  return (i > 0 ? message.slice(0, i) : message).trim();
}

interface ErrorBodyLike {
  statusCode?: number;
  code?: string;
  message?: string;
  details?: unknown;
  requestId?: string;
}

function fieldsOf(details: unknown): FieldMessage[] {
  const list = Array.isArray(details) ? details : [];
  const out: FieldMessage[] = [];
  for (const d of list as Array<{ field?: unknown; message?: unknown; constraints?: Record<string, string> }>) {
    if (typeof d?.field !== 'string') continue;
    const first = typeof d.message === 'string' ? d.message : Object.values(d.constraints ?? {})[0];
    if (first) out.push({ field: d.field, message: chinese(first) });
  }
  return out;
}

export function toApiError(body: unknown, status: number): ApiError {
  const b = (body && typeof body === 'object' ? body : {}) as ErrorBodyLike;
  const code = b.code ?? (status === 0 ? 'NETWORK' : `HTTP_${status}`);
  const message = b.message ? chinese(b.message) : status === 0 ? '无法连接服务器，请检查网络后重试' : `服务器出错（${status}），请稍后重试`;
  return new ApiError(status || b.statusCode || 0, code, message, fieldsOf(b.details), b.details, b.requestId ?? null);
}

async function apiErrorFrom(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  return toApiError(body, res.status);
}

/**
 * Unwraps an openapi-fetch result: the data on success, an ApiError (Chinese message) otherwise.
 * A network failure (fetch throws) becomes an ApiError too, never an uncaught TypeError.
 */
export async function call<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response };
  try {
    r = await p;
  } catch (err) {
    throw toApiError(null, 0) ?? err;
  }
  if (!r.response.ok) throw toApiError(r.error, r.response.status);
  return r.data as T;
}
