import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BOARD_PARTS_VERSION } from '@app/board/board-json';
import { startStack, type TestStack } from '../support/app';
import { bearers, seedTown, type FixtureUser, type TownFixture } from '../support/fixtures';
import { answer, finalizeNow, object, personalise, publishMonth, villageA, type VillageActors } from './board-helpers';

/**
 * The JSON board spliced from the parts stored at publish (boards.public_parts, src/board/board-json.ts)
 * is the same answer, byte for byte, as the board built from its content (the path of boards
 * published before those parts existed), through every live change: an objection, its answer,
 * finalize. Rendered on every request (no board cache), as the render path runs after each change.
 */
describe('public board JSON from its stored parts', () => {
  let stack: TestStack;
  let f: TownFixture;
  let t: Record<FixtureUser, string>;
  let A: VillageActors;
  let month: { period: string; entryIds: string[] };

  beforeAll(async () => {
    stack = await startStack({ env: { BOARD_CACHE_MS: '0', PUBLIC_BASE_URL: 'https://xinyi.example.cn' } });
    f = await seedTown(stack.db, 4);
    await personalise(stack, f);
    t = await bearers(stack.http, f);
    A = villageA(f, t);
    const [r0, r1, r2] = f.residentsA;
    month = await publishMonth(stack, t, A, [
      { residentId: r0, itemCode: 'T10' },
      { residentId: r1, itemCode: 'B02' },
      { residentId: r2, itemCode: 'T57', points: 10, reason: '扑救邻居家火情，"连夜"值守\\' },
      { residentId: r0, itemCode: 'T10' },
    ]);
  });
  afterAll(async () => stack?.close());

  const boardPath = () => `/api/v1/public/boards/${f.villageA}/${month.period}`;
  /** The plain answer, and the gzip answer as a browser reads it (superagent inflates it, checking its CRC and length). */
  const get = async () => {
    const res = await request(stack.http).get(boardPath()).set('accept-encoding', 'identity').expect(200);
    expect(res.headers['content-encoding']).toBeUndefined();
    const gz = await request(stack.http).get(boardPath()).set('accept-encoding', 'gzip').expect(200);
    expect(gz.headers['content-encoding']).toBe('gzip');
    return { text: res.text, etag: res.headers.etag as string, gzipText: gz.text };
  };

  /** The answer from the stored parts, then from the content alone (the parts set aside, as on a board published before them). */
  const bothWays = async () => {
    const [{ parts }] = await stack.db.query(`SELECT public_parts AS parts FROM boards WHERE village_id = $1 AND period = $2`, [f.villageA, month.period]);
    expect(Buffer.isBuffer(parts) && parts.length > 0).toBe(true);
    const fromParts = await get();
    // Boards are append-only: a test may step around the trigger to stand in for an older board.
    await stack.db.query(`ALTER TABLE boards DISABLE TRIGGER boards_append_only`);
    try {
      await stack.db.query(`UPDATE boards SET public_parts = NULL WHERE village_id = $1 AND period = $2`, [f.villageA, month.period]);
      const fromContent = await get();
      await stack.db.query(`UPDATE boards SET public_parts = $3 WHERE village_id = $1 AND period = $2`, [f.villageA, month.period, parts]);
      return { fromParts, fromContent };
    } finally {
      await stack.db.query(`ALTER TABLE boards ENABLE TRIGGER boards_append_only`);
    }
  };

  const statuses = (text: string) =>
    Object.fromEntries((JSON.parse(text).residents as Array<{ lines: Array<{ entryId: string; status: string }> }>).flatMap((r) => r.lines.map((l) => [l.entryId, l.status])));

  it('right after publish: same bytes and ETag either way; every line approved', async () => {
    const { fromParts, fromContent } = await bothWays();
    expect(fromParts.text).toBe(fromContent.text);
    expect(fromParts.etag).toBe(fromContent.etag);
    expect(fromParts.gzipText).toBe(fromParts.text);
    expect(Object.values(statuses(fromParts.text))).toEqual(['approved', 'approved', 'approved', 'approved']);
    expect(JSON.parse(fromParts.text).objectionOpen).toBe(true);
  });

  it('an objection, its answer and finalize show on the next request, the same either way', async () => {
    const objection = await object(stack, f.villageA, month.period, month.entryIds[1]);
    let { fromParts, fromContent } = await bothWays();
    expect(fromParts).toEqual(fromContent);
    expect(statuses(fromParts.text)[month.entryIds[1]]).toBe('disputed');

    await answer(stack, A, objection, 'upheld');
    ({ fromParts, fromContent } = await bothWays());
    expect(fromParts).toEqual(fromContent);
    expect(statuses(fromParts.text)[month.entryIds[1]]).toBe('revoked');

    await finalizeNow(stack, f.villageA, month.period);
    ({ fromParts, fromContent } = await bothWays());
    expect(fromParts).toEqual(fromContent);
    const after = statuses(fromParts.text);
    expect(after[month.entryIds[1]]).toBe('revoked');
    expect(after[month.entryIds[0]]).toBe('posted');
    expect(JSON.parse(fromParts.text)).toMatchObject({ finalized: true, state: 'finalized' });
    expect(fromParts.gzipText).toBe(fromParts.text);
  });

  it('the gzip answer from the pieces has its own ETag: a browser asking again with it gets 304 (the ETag is stable across renders)', async () => {
    const first = await request(stack.http).get(boardPath()).set('accept-encoding', 'gzip').expect(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]{32}-gz"$/);
    const plain = await request(stack.http).get(boardPath()).set('accept-encoding', 'identity').expect(200);
    expect(plain.headers.etag).not.toBe(etag);
    const again = await request(stack.http).get(boardPath()).set('accept-encoding', 'gzip').set('if-none-match', etag).expect(304);
    expect(again.text).toBe('');
    expect((await request(stack.http).get(boardPath()).set('accept-encoding', 'gzip')).headers.etag).toBe(etag);
  });

  it('parts written in another format (an older release) are not used: the board renders from its content', async () => {
    const [{ parts, version }] = await stack.db.query(`SELECT public_parts AS parts, public_parts_version AS version FROM boards WHERE village_id = $1 AND period = $2`, [f.villageA, month.period]);
    expect(version).toBe(BOARD_PARTS_VERSION);
    const good = await get();
    await stack.db.query(`ALTER TABLE boards DISABLE TRIGGER boards_append_only`);
    try {
      // Bytes that would not even parse as this format's parts, under another version number.
      await stack.db.query(`UPDATE boards SET public_parts = $3, public_parts_version = $4 WHERE village_id = $1 AND period = $2`, [f.villageA, month.period, Buffer.from('{"old":1}\n[\u0001x'), BOARD_PARTS_VERSION - 1]);
      expect(await get()).toEqual(good);
    } finally {
      await stack.db.query(`UPDATE boards SET public_parts = $3, public_parts_version = $4 WHERE village_id = $1 AND period = $2`, [f.villageA, month.period, parts, version]);
      await stack.db.query(`ALTER TABLE boards ENABLE TRIGGER boards_append_only`);
    }
  });
});
