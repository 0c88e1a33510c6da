/**
 * Demo data for a developer machine or a showcase: 侯营镇 (HOUYING) with three villages, about 50
 * residents each, staff of every role, a shop and one terminal. Everything is derived from a fixed
 * seed, so two databases seeded this way hold the same people (only ids, the terminal key and
 * password salts differ). Idempotent: when the town exists, nothing is written.
 *
 * Staff log in with the documented demo password below; never run this against production.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { AuditLogRepository } from '@app/audit/audit.repository';
import { AuditService } from '@app/audit/audit.service';
import { newApiKey } from '@app/auth/api-key';
import { AuthService } from '@app/auth/auth.service';
import { DEFAULT_CATALOG } from '@app/catalog/default-catalog';
import { generateCardCode } from '@app/org/card-code';
import { LedgerRepository } from '@app/ledger/ledger.repository';
import { LedgerService } from '@app/ledger/ledger.service';
import { hashNationalId, nationalIdCheckChar } from '@app/org/national-id';

export const DEMO_TOWN_CODE = 'HOUYING';
export const DEMO_PASSWORD = 'xinyi-demo-2026';
export const DEMO_ADOPTION_DATE = '2026-01-01';
const DEMO_AREA_CODE = '371502'; // 聊城市东昌府区
const HOUSEHOLDS_PER_VILLAGE = 20;
const RESIDENTS_PER_VILLAGE = 50;
/** Each demo resident's carried-over balance, so the till can redeem on a fresh start. */
export const DEMO_OPENING_BALANCE = 100;

const VILLAGES = [
  { code: 'DC', name: '东村' },
  { code: 'XC', name: '西村' },
  { code: 'NC', name: '南村' },
] as const;

/** The demo shop's shelf, priced in points as village supermarkets price them; stock for a first month. */
export const DEMO_GOODS: ReadonlyArray<{ name: string; unit: string; pricePoints: number; stock: number }> = [
  { name: '洗衣粉 1kg', unit: '袋', pricePoints: 10, stock: 50 },
  { name: '不锈钢盆', unit: '个', pricePoints: 4, stock: 30 },
  { name: '食用油 5L', unit: '桶', pricePoints: 60, stock: 20 },
  { name: '毛巾', unit: '条', pricePoints: 5, stock: 60 },
  { name: '香皂', unit: '块', pricePoints: 3, stock: 80 },
  { name: '牙膏', unit: '支', pricePoints: 6, stock: 50 },
  { name: '食盐 400g', unit: '袋', pricePoints: 2, stock: 100 },
  { name: '挂面 1kg', unit: '包', pricePoints: 8, stock: 40 },
  { name: '大米 5kg', unit: '袋', pricePoints: 40, stock: 20 },
  { name: '洗洁精', unit: '瓶', pricePoints: 7, stock: 40 },
];

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '罗'];
const GIVEN_MALE = ['建国', '志强', '国庆', '伟', '军', '磊', '洪涛', '德明', '春生', '永刚', '立新', '海龙', '金山', '长江', '东升'];
const GIVEN_FEMALE = ['秀英', '桂兰', '玉珍', '丽', '敏', '静', '春梅', '红霞', '淑芬', '凤英', '晓燕', '海燕', '翠花', '美玲', '雪梅'];

export interface DemoSeedResult {
  created: boolean;
  lines: string[];
}

/** mulberry32: a small, well-known seeded generator; quality is ample for made-up names. */
function seededRandom(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(r * n);
  };
}

interface DemoResident {
  householdCode: string;
  name: string;
  gender: 'M' | 'F';
  birthYear: number;
  nationalId: string;
  phone: string | null;
  cardCode: string;
}

/** The residents of one village; `serial` keeps ID sequence numbers unique across villages. */
export function demoResidents(villageCode: string, villageIndex: number): DemoResident[] {
  const pick = seededRandom(20260101 + villageIndex);
  const cards = new Set<string>();
  const out: DemoResident[] = [];
  for (let i = 0; i < RESIDENTS_PER_VILLAGE; i++) {
    const serial = villageIndex * RESIDENTS_PER_VILLAGE + i;
    const gender = pick(2) === 0 ? 'M' : 'F';
    const birthYear = 1940 + pick(66);
    const birth = `${birthYear}${String(1 + pick(12)).padStart(2, '0')}${String(1 + pick(28)).padStart(2, '0')}`;
    // The sequence digits end in an odd digit for men, even for women, as on real ID cards.
    const first17 = `${DEMO_AREA_CODE}${birth}${String(serial * 2 + (gender === 'M' ? 1 : 0)).padStart(3, '0')}`;
    const given = gender === 'M' ? GIVEN_MALE : GIVEN_FEMALE;
    let cardCode = generateCardCode(villageCode, pick);
    while (cards.has(cardCode)) cardCode = generateCardCode(villageCode, pick);
    cards.add(cardCode);
    out.push({
      householdCode: `${villageCode}-${String((i % HOUSEHOLDS_PER_VILLAGE) + 1).padStart(3, '0')}`,
      name: `${SURNAMES[pick(SURNAMES.length)]}${given[pick(given.length)]}`,
      gender,
      birthYear,
      nationalId: first17 + nationalIdCheckChar(first17),
      phone: pick(2) === 0 ? `13${String(pick(10))}${String(pick(100_000_000)).padStart(8, '0')}` : null,
      cardCode,
    });
  }
  return out;
}

export async function seedDemo(ds: DataSource, idHashSecret: string): Promise<DemoSeedResult> {
  const passwordHash = await AuthService.hashPassword(DEMO_PASSWORD);
  // One transaction: a failed seed (e.g. a username already taken) leaves no half-made town.
  return ds.transaction(async (m) => {
    const [existing] = await m.query(`SELECT id FROM towns WHERE code = $1`, [DEMO_TOWN_CODE]);
    if (existing) {
      // A demo town seeded before the shop had goods gets them now, once.
      const [oldShop] = await m.query(`SELECT id FROM shops WHERE town_id = $1 AND code = 'DC-SHOP'`, [existing.id]);
      const added = oldShop ? await stockDemoShop(m, ds, existing.id, oldShop.id) : 0;
      if (added === 0) return { created: false, lines: [`demo town ${DEMO_TOWN_CODE} already exists: nothing changed`] };
      return { created: false, lines: [`demo town ${DEMO_TOWN_CODE} already exists: stocked 东村信义超市 with ${added} goods`] };
    }

    const [town] = await m.query(`INSERT INTO towns (code, name) VALUES ($1, '侯营镇') RETURNING id`, [DEMO_TOWN_CODE]);
    const [version] = await m.query(`SELECT id FROM catalog_versions WHERE code = $1`, [DEFAULT_CATALOG.version]);
    if (!version) throw new Error(`catalogue version ${DEFAULT_CATALOG.version} missing: run migrate first`);
    await m.query(`INSERT INTO catalog_adoptions (town_id, version_id, effective_from) VALUES ($1, $2, $3)`, [town.id, version.id, DEMO_ADOPTION_DATE]);

    const villageIds: Record<string, string> = {};
    let residentCount = 0;
    for (const [index, v] of VILLAGES.entries()) {
      const [row] = await m.query(`INSERT INTO villages (town_id, code, name) VALUES ($1, $2, $3) RETURNING id`, [town.id, v.code, v.name]);
      villageIds[v.code] = row.id;
      residentCount += await insertVillagePeople(m, town.id, row.id, demoResidents(v.code, index), idHashSecret);
    }

    const [shop] = await m.query(`INSERT INTO shops (town_id, code, name) VALUES ($1, 'DC-SHOP', '东村信义超市') RETURNING id`, [town.id]);
    await m.query(`INSERT INTO shop_villages (shop_id, village_id, town_id) VALUES ($1, $2, $4), ($1, $3, $4)`, [shop.id, villageIds.DC, villageIds.XC, town.id]);

    const staff: Array<[string, string, string, string | null, string | null]> = [
      ['admin', '镇管理员', 'town_admin', null, null],
      ['clerk.dongcun', '东村信息采集员', 'village_clerk', villageIds.DC as string, null],
      ['reviewer.dongcun', '东村议事会', 'village_reviewer', villageIds.DC as string, null],
      ['auditor', '镇纪检审计', 'auditor', null, null],
      ['shop.dongcun', '东村超市店员', 'shop_clerk', null, shop.id],
    ];
    for (const [username, displayName, role, villageId, shopId] of staff) {
      await m.query(
        `INSERT INTO staff_users (username, display_name, password_hash, role, town_id, village_id, shop_id) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [username, displayName, passwordHash, role, town.id, villageId, shopId],
      );
    }

    const goods = await stockDemoShop(m, ds, town.id, shop.id);
    const opened = await openDemoBalances(m, ds, town.id);

    const key = newApiKey();
    await m.query(`INSERT INTO terminals (town_id, shop_id, name, key_prefix, key_hash) VALUES ($1, $2, '东村信义超市收银台 1', $3, $4)`, [
      town.id,
      shop.id,
      key.prefix,
      key.hash,
    ]);
    await new AuditService(new AuditLogRepository(ds)).record(
      null,
      { action: 'demo.seed', targetType: 'town', targetId: town.id, townId: town.id, summary: { villages: VILLAGES.length, residents: residentCount, terminalKeyPrefix: key.prefix } },
      m,
    );

    return {
      created: true,
      lines: [
        `demo town 侯营镇 (${DEMO_TOWN_CODE}) created, catalogue ${DEFAULT_CATALOG.version} in force from ${DEMO_ADOPTION_DATE}`,
        `  villages: ${VILLAGES.map((v) => `${v.name} (${v.code})`).join(', ')}; ${VILLAGES.length * HOUSEHOLDS_PER_VILLAGE} households, ${residentCount} residents`,
        `  shop: 东村信义超市 serving 东村 and 西村, ${goods} goods on the shelf, every resident opened with ${DEMO_OPENING_BALANCE} points (${opened} opening balances) (${DEMO_GOODS.map((g) => `${g.name} ${g.pricePoints} 分`).join(', ')})`,
        `  staff (password "${DEMO_PASSWORD}"): ${staff.map(([u, , r]) => `${u} [${r}]`).join(', ')}`,
        `  terminal API key (shown only now): ${key.key}`,
      ],
    };
  });
}

/**
 * Puts each demo good on the shop's shelf unless a good of that name is already there, with its
 * opening stock as a 'received' movement (the stock ledger explains every unit). Returns how
 * many were added: 0 on a second run.
 */
async function stockDemoShop(m: EntityManager, ds: DataSource, townId: string, shopId: string): Promise<number> {
  let added = 0;
  for (const g of DEMO_GOODS) {
    const [row] = await m.query(
      `INSERT INTO goods (town_id, shop_id, name, unit, price_points, stock)
       SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM goods WHERE shop_id = $2 AND name = $3)
       RETURNING id`,
      [townId, shopId, g.name, g.unit, g.pricePoints, g.stock],
    );
    if (!row) continue;
    await m.query(`INSERT INTO stock_movements (town_id, shop_id, goods_id, kind, quantity, reason, actor) VALUES ($1, $2, $3, 'received', $4, '演示数据：期初库存', 'system:demo-seed')`, [townId, shopId, row.id, g.stock]);
    added++;
  }
  if (added) await new AuditService(new AuditLogRepository(ds)).record(null, { action: 'demo.stock_shop', targetType: 'shop', targetId: shopId, townId, summary: { goods: added } }, m);
  return added;
}

/**
 * Opening balances through the ledger (hash chains, accounts, audit like the real endpoint), not
 * by writing postings here. postBatch needs only the repository.
 */
async function openDemoBalances(m: EntityManager, ds: DataSource, townId: string): Promise<number> {
  const ledger = new LedgerService(new LedgerRepository(ds));
  const residents: Array<{ id: string }> = await m.query(`SELECT id FROM residents WHERE town_id = $1 ORDER BY id`, [townId]);
  const period = DEMO_ADOPTION_DATE.slice(0, 7);
  const result = await ledger.postBatch(
    residents.map((r) => ({
      accountId: r.id,
      kind: 'opening_balance' as const,
      points: DEMO_OPENING_BALANCE,
      sourceRef: `opening:${r.id}`,
      counterparty: `town:${townId}`,
      period,
      memo: '期初余额（演示数据）',
    })),
    m,
  );
  return result.posted;
}

async function insertVillagePeople(m: EntityManager, townId: string, villageId: string, people: DemoResident[], secret: string): Promise<number> {
  const codes = [...new Set(people.map((p) => p.householdCode))];
  const households: Array<{ id: string; code: string }> = await m.query(
    `INSERT INTO households (town_id, village_id, code) SELECT $1, $2, unnest($3::text[]) RETURNING id, code`,
    [townId, villageId, codes],
  );
  const householdOf = new Map(households.map((h) => [h.code, h.id]));
  const rows = people.map((p) => ({
    householdId: householdOf.get(p.householdCode),
    name: p.name,
    gender: p.gender,
    birthYear: p.birthYear,
    cardCode: p.cardCode,
    phone: p.phone,
    idHash: hashNationalId(secret, p.nationalId),
    idLast4: p.nationalId.slice(-4),
  }));
  const inserted: Array<{ id: string }> = await m.query(
    `INSERT INTO residents (town_id, village_id, household_id, name, gender, birth_year, card_code, phone, id_hash, id_last4)
     SELECT $1, $2, r."householdId", r.name, r.gender, r."birthYear", r."cardCode", r.phone, r."idHash", r."idLast4"
     FROM jsonb_to_recordset($3::jsonb) AS r("householdId" uuid, name text, gender char(1), "birthYear" int, "cardCode" text, phone text, "idHash" text, "idLast4" text)
     RETURNING id`,
    [townId, villageId, JSON.stringify(rows)],
  );
  await m.query(
    `INSERT INTO resident_status_events (town_id, resident_id, from_status, to_status, effective_on, reason)
     SELECT $1, unnest($2::uuid[]), NULL, 'active', $3, '演示数据 / demo seed'`,
    [townId, inserted.map((r) => r.id), DEMO_ADOPTION_DATE],
  );
  return inserted.length;
}
