import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AuthService } from '@app/auth/auth.service';
import type { Role } from '@app/auth/auth.entities';

export const FIXTURE_PASSWORD = 'correct-horse-battery';
let passwordHash: Promise<string> | undefined;

export interface TownFixture {
  townId: string;
  villageA: string;
  villageB: string;
  /** A village of another town: always out of scope. */
  otherTownId: string;
  villageOther: string;
  shopA: string;
  shopOther: string;
  residentsA: string[];
  residentsB: string[];
  residentsOther: string[];
  users: Record<FixtureUser, { id: string; username: string }>;
}

/** Staff of every role in the main town (village roles in village A), plus one of another town. */
export type FixtureUser = Role | 'other_town_admin' | 'clerk_b';

const rand = () => randomBytes(4).toString('hex');

async function insertResidents(db: DataSource, townId: string, villageId: string, n: number): Promise<string[]> {
  const [hh] = await db.query(`INSERT INTO households (town_id, village_id, code) VALUES ($1, $2, $3) RETURNING id`, [townId, villageId, `H${rand()}`]);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const [r] = await db.query(
      `INSERT INTO residents (town_id, village_id, household_id, name, gender, birth_year, card_code, id_hash, id_last4)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
      [townId, villageId, hh.id, `测试${i}`, i % 2 ? 'F' : 'M', 1960 + i, `C${rand().toUpperCase()}${i}`, createHash('sha256').update(rand()).digest('hex'), String(1000 + i)],
    );
    ids.push(r.id);
  }
  return ids;
}

/** A town with two villages, residents, a shop, staff of every role, and another town beside it. */
export async function seedTown(db: DataSource, residentsPerVillage = 3): Promise<TownFixture> {
  passwordHash ??= AuthService.hashPassword(FIXTURE_PASSWORD);
  const hash = await passwordHash;
  const [town] = await db.query(`INSERT INTO towns (code, name) VALUES ($1, '测试镇') RETURNING id`, [`T${rand()}`]);
  const [other] = await db.query(`INSERT INTO towns (code, name) VALUES ($1, '邻镇') RETURNING id`, [`T${rand()}`]);
  const village = async (townId: string, name: string) =>
    (await db.query(`INSERT INTO villages (town_id, code, name) VALUES ($1, $2, $3) RETURNING id`, [townId, `V${rand().slice(0, 6).toUpperCase()}`, name]))[0].id as string;
  const villageA = await village(town.id, '东村');
  const villageB = await village(town.id, '西村');
  const villageOther = await village(other.id, '邻村');
  const shop = async (townId: string, villageId: string) => {
    const [s] = await db.query(`INSERT INTO shops (town_id, code, name) VALUES ($1, $2, '信义超市') RETURNING id`, [townId, `S${rand()}`]);
    await db.query(`INSERT INTO shop_villages (shop_id, village_id, town_id) VALUES ($1, $2, $3)`, [s.id, villageId, townId]);
    return s.id as string;
  };
  const shopA = await shop(town.id, villageA);
  const shopOther = await shop(other.id, villageOther);
  const [version] = await db.query(`SELECT id FROM catalog_versions ORDER BY created_at LIMIT 1`);
  for (const t of [town.id, other.id]) {
    await db.query(`INSERT INTO catalog_adoptions (town_id, version_id, effective_from) VALUES ($1, $2, '2020-01-01')`, [t, version.id]);
  }
  const specs: Array<[FixtureUser, Role, string, string | null, string | null]> = [
    ['town_admin', 'town_admin', town.id, null, null],
    ['village_clerk', 'village_clerk', town.id, villageA, null],
    ['village_reviewer', 'village_reviewer', town.id, villageA, null],
    ['auditor', 'auditor', town.id, null, null],
    ['shop_clerk', 'shop_clerk', town.id, null, shopA],
    ['clerk_b', 'village_clerk', town.id, villageB, null],
    ['other_town_admin', 'town_admin', other.id, null, null],
  ];
  const users = {} as TownFixture['users'];
  for (const [key, role, townId, villageId, shopId] of specs) {
    const username = `${key.replace(/_/g, '-')}-${rand()}`;
    const [u] = await db.query(
      `INSERT INTO staff_users (username, display_name, password_hash, role, town_id, village_id, shop_id) VALUES ($1, $1, $2, $3, $4, $5, $6) RETURNING id`,
      [username, hash, role, townId, villageId, shopId],
    );
    users[key] = { id: u.id, username };
  }
  return {
    townId: town.id,
    villageA,
    villageB,
    otherTownId: other.id,
    villageOther,
    shopA,
    shopOther,
    residentsA: await insertResidents(db, town.id, villageA, residentsPerVillage),
    residentsB: await insertResidents(db, town.id, villageB, residentsPerVillage),
    residentsOther: await insertResidents(db, other.id, villageOther, residentsPerVillage),
    users,
  };
}

/** Logs a fixture user in through the real endpoint and returns the bearer header value. */
export async function bearer(http: Parameters<typeof request>[0], username: string): Promise<string> {
  const res = await request(http).post('/api/v1/auth/login').send({ username, password: FIXTURE_PASSWORD });
  if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
  return `Bearer ${res.body.accessToken}`;
}

/** Bearer headers for every fixture user. */
export async function bearers(http: Parameters<typeof request>[0], f: TownFixture): Promise<Record<FixtureUser, string>> {
  const out = {} as Record<FixtureUser, string>;
  for (const [key, u] of Object.entries(f.users)) out[key as FixtureUser] = await bearer(http, u.username);
  return out;
}
