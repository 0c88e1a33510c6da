import createClient from 'openapi-fetch';
import type { components, paths } from '@/api/schema';

export type Schemas = components['schemas'];
export type Me = Schemas['ResidentMeDto'];
export type ResidentBoard = Schemas['ResidentBoardDto'];
export type BoardLine = Schemas['ResidentBoardLineDto'];
export type StatementLine = Schemas['StatementLineDto'];

/** The api answered with an error: its code and the Chinese half of its `中文 / English` message. */
export class ResidentApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The personal QR links to /r/#<token>. The fragment never leaves the phone by itself; the page
 * sends it to the api in the x-resident-token header (never in a path or query).
 */
export function tokenFromLocation(hash = window.location.hash): string | null {
  const t = hash.replace(/^#/, '').trim();
  return t ? t : null;
}

const client = createClient<paths>({ baseUrl: '' });

function chinese(message: unknown): string {
  return typeof message === 'string' ? (message.split(' / ')[0] ?? message) : '出错了，请稍后再试';
}

async function call<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let r: { data?: T; error?: unknown; response: Response };
  try {
    r = await p;
  } catch {
    throw new ResidentApiError(0, 'NETWORK', '网络不通，请检查网络后重试');
  }
  if (r.error !== undefined || r.data === undefined) {
    const e = (r.error ?? {}) as { code?: string; message?: string };
    throw new ResidentApiError(r.response.status, e.code ?? 'UNKNOWN', chinese(e.message));
  }
  return r.data;
}

export function loadMe(token: string): Promise<Me> {
  return call(client.GET('/api/v1/resident/me', { headers: { 'x-resident-token': token } }));
}

/** The lines before `beforeSeq` (the oldest shown), newest first: the phone page's 查看更早的记录. */
export function loadEarlier(token: string, beforeSeq: number): Promise<Schemas['ResidentStatementPageDto']> {
  return call(client.GET('/api/v1/resident/me/statement', { headers: { 'x-resident-token': token }, params: { query: { beforeSeq } } }));
}

export function loadBoard(token: string): Promise<Schemas['ResidentBoardAnswerDto']> {
  return call(client.GET('/api/v1/resident/me/board', { headers: { 'x-resident-token': token } }));
}

/** The public objection api, the same one the printed board points to. */
export function fileObjection(villageId: string, period: string, body: Schemas['ObjectionDto']): Promise<Schemas['ObjectionFiledDto']> {
  return call(client.POST('/api/v1/public/boards/{villageId}/{period}/objections', { params: { path: { villageId, period } }, body }));
}

export type Proof = Schemas['CheckpointProofDto'];

/** The inclusion proof of the resident's account head in their village's latest checkpoint. */
export function loadProof(token: string): Promise<Proof> {
  return call(client.GET('/api/v1/resident/me/proof', { headers: { 'x-resident-token': token } }));
}
