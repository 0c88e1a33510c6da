/**
 * A verification worker thread (node:worker_threads), started by LedgerVerifier from the built
 * code: its own PostgreSQL connection in the verifier's snapshot, then partitions of accounts
 * (posted to it one at a time) checked with ChainChecker and answered with their broken links.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Client, type ClientConfig } from 'pg';
import { ChainChecker, type ProjectionOfAccount } from './chain-check';
import { beginChainRead, endChainRead, readChains } from './chain.repository';
import type { BrokenLink } from './ledger.types';

export interface VerifyWorkerData {
  connection: ClientConfig;
  snapshot: string;
  townId: string;
  baseScore: number;
  fetchSize: number;
}

export type VerifyWorkerRequest = { type: 'partition'; id: number; accounts: ProjectionOfAccount[] } | { type: 'end' };
export type VerifyWorkerAnswer =
  | { type: 'ready' }
  | { type: 'done'; id: number; postingsChecked: number; broken: BrokenLink[] }
  | { type: 'error'; message: string };

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('verify-worker runs as a worker thread');
  const data = workerData as VerifyWorkerData;
  const client = new Client(data.connection);
  const send = (a: VerifyWorkerAnswer) => port.postMessage(a);
  try {
    await client.connect();
    await beginChainRead(client, data.snapshot);
    send({ type: 'ready' });
    for await (const msg of messages(port)) {
      if (msg.type === 'end') break;
      const checker = new ChainChecker(msg.accounts, data.baseScore);
      const first = msg.accounts[0].accountId;
      const last = msg.accounts[msg.accounts.length - 1].accountId;
      for await (const rows of readChains(client, data.townId, first, last, data.fetchSize)) checker.add(rows);
      send({ type: 'done', id: msg.id, postingsChecked: checker.postingsChecked, broken: checker.finish() });
    }
    await endChainRead(client);
  } catch (err) {
    send({ type: 'error', message: (err as Error).message });
  } finally {
    await client.end().catch(() => undefined);
    port.close();
  }
}

/** The parent's messages as an async sequence (one at a time: the parent waits for each answer). */
async function* messages(port: NonNullable<typeof parentPort>): AsyncGenerator<VerifyWorkerRequest> {
  const queue: VerifyWorkerRequest[] = [];
  let wake: (() => void) | null = null;
  port.on('message', (m: VerifyWorkerRequest) => {
    queue.push(m);
    wake?.();
  });
  for (;;) {
    while (queue.length) {
      const m = queue.shift() as VerifyWorkerRequest;
      yield m;
      if (m.type === 'end') return;
    }
    await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
  }
}

void main();
