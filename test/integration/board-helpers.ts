import request from 'supertest';
import { expect } from 'vitest';
import { shanghaiDate } from '@app/common/time';
import { FinalizeService } from '@app/review/finalize.service';
import type { TestStack } from '../support/app';
import { bearer, type FixtureUser, type TownFixture } from '../support/fixtures';

/**
 * Shared by the board and auditor tests: a month of village A taken through the real HTTP path
 * (enter → close → meeting → decide → publish), then objections and finalize as needed.
 */
export interface EntrySpec {
  residentId: string;
  itemCode: string;
  points?: number;
  reason?: string;
  quantity?: number;
  evidenceNote?: string;
}

/** Real-looking personal data on village A's residents, so tests can prove none of it leaks. */
export const PERSONAL = [
  { name: '李小明', phone: '13912345671', idLast4: '371X' },
  { name: '王大锤', phone: '13912345672', idLast4: '482X' },
  { name: '欧阳娜娜', phone: '13912345673', idLast4: '593X' },
  { name: '张三', phone: '13912345674', idLast4: '604X' },
  { name: '赵铁柱', phone: '13912345675', idLast4: '715X' },
  { name: '孙丽', phone: '13912345676', idLast4: '826X' },
  { name: '周建国', phone: '13912345677', idLast4: '937X' },
  { name: '吴芳芳', phone: '13912345678', idLast4: '048X' },
];

/** Village A's residents get PERSONAL[0..3], village B's PERSONAL[4..7]. */
export async function personalise(stack: TestStack, f: TownFixture): Promise<void> {
  for (const [i, id] of [...f.residentsA.slice(0, 4), ...f.residentsB.slice(0, 4)].entries()) {
    const p = PERSONAL[i];
    await stack.db.query(`UPDATE residents SET name = $2, phone = $3, id_last4 = $4 WHERE id = $1`, [id, p.name, p.phone, p.idLast4]);
  }
}

/** Who runs a village's month: its clerk and its reviewer (bearer headers). */
export interface VillageActors {
  villageId: string;
  clerk: string;
  reviewer: string;
}

export function villageA(f: TownFixture, t: Record<FixtureUser, string>): VillageActors {
  return { villageId: f.villageA, clerk: t.village_clerk, reviewer: t.village_reviewer };
}

/** Village B has a clerk in the fixture but no reviewer: add one (same password) and log in. */
export async function villageB(stack: TestStack, f: TownFixture, t: Record<FixtureUser, string>): Promise<VillageActors> {
  const username = `reviewer-b-${f.villageB.slice(0, 8)}`;
  await stack.db.query(
    `INSERT INTO staff_users (username, display_name, password_hash, role, town_id, village_id)
     SELECT $1, $1, password_hash, 'village_reviewer', town_id, $2 FROM staff_users WHERE id = $3`,
    [username, f.villageB, f.users.village_reviewer.id],
  );
  return { villageId: f.villageB, clerk: t.clerk_b, reviewer: await bearer(stack.http, username) };
}

/** Enters, closes (town admin, early), records the meeting, approves all and publishes. */
export async function publishMonth(stack: TestStack, t: Record<FixtureUser, string>, v: VillageActors, entries: EntrySpec[]): Promise<{ period: string; entryIds: string[] }> {
  const today = shanghaiDate(new Date());
  const entryIds: string[] = [];
  let period = '';
  for (const e of entries) {
    const res = await request(stack.http).post(`/api/v1/villages/${v.villageId}/entries`).set('authorization', v.clerk).send({ occurredOn: today, ...e });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    entryIds.push(res.body.id);
    period = res.body.period;
  }
  const cyc = `/api/v1/villages/${v.villageId}/cycles/${period}`;
  await request(stack.http).post(`${cyc}/close`).set('authorization', t.town_admin).expect(200);
  await request(stack.http).post(`${cyc}/meeting`).set('authorization', v.reviewer).send({ heldOn: today, attendees: ['王书记', '李主任'], minutes: '逐条审议' }).expect(200);
  await request(stack.http)
    .post(`${cyc}/decisions`)
    .set('authorization', v.reviewer)
    .send({ decisions: entryIds.map((entryId) => ({ entryId, decision: 'approve' })) })
    .expect(200);
  const pub = await request(stack.http).post(`${cyc}/publish`).set('authorization', v.reviewer);
  expect(pub.status, JSON.stringify(pub.body)).toBe(200);
  return { period, entryIds };
}

export async function object(stack: TestStack, villageId: string, period: string, entryId: string): Promise<string> {
  const res = await request(stack.http)
    .post(`/api/v1/public/boards/${villageId}/${period}/objections`)
    .send({ entryId, name: '邻居', contact: '13800000000', reason: '情况不属实' })
    .expect(201);
  return res.body.id as string;
}

export async function answer(stack: TestStack, v: VillageActors, objectionId: string, outcome: 'upheld' | 'dismissed'): Promise<void> {
  await request(stack.http).post(`/api/v1/objections/${objectionId}/answer`).set('authorization', v.reviewer).send({ outcome, answer: '经核实答复' }).expect(200);
}

/** Ends the objection window now and runs finalize (what the delayed job does). */
export async function finalizeNow(stack: TestStack, villageId: string, period: string): Promise<string> {
  await stack.db.query(`UPDATE review_cycles SET window_ends_at = now() - interval '1 second' WHERE village_id = $1 AND period = $2`, [villageId, period]);
  const [c] = await stack.db.query(`SELECT id FROM review_cycles WHERE village_id = $1 AND period = $2`, [villageId, period]);
  expect(await stack.api.get(FinalizeService).finalize(c.id)).toBe('finalized');
  return c.id as string;
}
