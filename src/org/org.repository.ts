import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryOne, queryRows, type Db } from '@app/database/sql';
import type { GradeThresholds } from '@app/scoring/grade';
import type { ResidentStatus } from './org.entities';

export interface TownRow {
  id: string;
  code: string;
  name: string;
  baseScore: number;
  gradeThresholds: GradeThresholds | null;
  objectionWindowDays: number;
  objectionAnswerWorkingDays: number;
  closeDay: number;
  holidays: string[];
  makeupWorkdays: string[];
  villageMaxBonusItems: number;
  villageMaxPenaltyItems: number;
  villageItemMaxPoints: number;
  expireBalanceAtYearEnd: boolean;
  contactPhone: string | null;
  boardHouseholdNumbers: boolean;
}

/** The settings a town admin may change, by property name → column. */
export const TOWN_SETTING_COLUMNS = {
  baseScore: 'base_score',
  gradeThresholds: 'grade_thresholds',
  objectionWindowDays: 'objection_window_days',
  objectionAnswerWorkingDays: 'objection_answer_working_days',
  closeDay: 'close_day',
  holidays: 'holidays',
  makeupWorkdays: 'makeup_workdays',
  villageMaxBonusItems: 'village_max_bonus_items',
  villageMaxPenaltyItems: 'village_max_penalty_items',
  villageItemMaxPoints: 'village_item_max_points',
  expireBalanceAtYearEnd: 'expire_balance_at_year_end',
  contactPhone: 'contact_phone',
  boardHouseholdNumbers: 'board_household_numbers',
} as const satisfies Partial<Record<keyof TownRow, string>>;

export type TownSettings = Pick<TownRow, keyof typeof TOWN_SETTING_COLUMNS>;

const JSON_SETTINGS = new Set<string>(['gradeThresholds', 'holidays', 'makeupWorkdays']);

const TOWN_COLUMNS = `id, code, name, ${Object.entries(TOWN_SETTING_COLUMNS)
  .map(([prop, col]) => `${col} AS "${prop}"`)
  .join(', ')}`;

export interface VillageRow {
  id: string;
  townId: string;
  code: string;
  name: string;
  committee: string | null;
  contactPhone: string | null;
  createdAt: Date;
}

const VILLAGE_COLUMNS = `id, town_id AS "townId", code, name, committee, contact_phone AS "contactPhone", created_at AS "createdAt"`;

export interface HouseholdRow {
  id: string;
  townId: string;
  villageId: string;
  code: string;
  address: string | null;
}

export interface HouseholdMemberRow {
  id: string;
  name: string;
  gender: 'M' | 'F';
  birthYear: number;
  cardCode: string;
  status: ResidentStatus;
  balance: number | null;
  creditScore: number | null;
  grade: string | null;
}

export interface ResidentRow {
  id: string;
  townId: string;
  villageId: string;
  householdId: string;
  householdCode: string;
  name: string;
  gender: 'M' | 'F';
  birthYear: number;
  cardCode: string;
  phone: string | null;
  smsConsent: boolean;
  idLast4: string;
  status: ResidentStatus;
  createdAt: Date;
}

export interface ResidentMatchRow {
  id: string;
  name: string;
  cardCode: string;
  householdCode: string;
  villageId: string;
  villageName: string;
  status: ResidentStatus;
}

/** id_hash is deliberately not selected: nothing above the repository needs to see it. */
const RESIDENT_SELECT = `SELECT r.id, r.town_id AS "townId", r.village_id AS "villageId", r.household_id AS "householdId",
  h.code AS "householdCode", r.name, r.gender, r.birth_year AS "birthYear", r.card_code AS "cardCode", r.phone, r.sms_consent AS "smsConsent",
  r.id_last4 AS "idLast4", r.status, r.created_at AS "createdAt"
  FROM residents r JOIN households h ON h.id = r.household_id`;

export interface NewResident {
  householdId: string;
  name: string;
  gender: 'M' | 'F';
  birthYear: number;
  cardCode: string;
  phone: string | null;
  smsConsent: boolean;
  idHash: string;
  idLast4: string;
}

export interface RosterMatch {
  id: string;
  villageId: string;
  idHash: string;
  cardCode: string;
  name: string;
  phone: string | null;
  householdCode: string;
}

export interface StatusEvent {
  townId: string;
  residentId: string;
  fromStatus: ResidentStatus | null;
  toStatus: ResidentStatus;
  effectiveOn: string;
  reason: string;
  actorId: string | null;
}

export interface ResidentFilter {
  status?: ResidentStatus;
  q?: string;
  householdId?: string;
}

@Injectable()
export class OrgRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** For services that need one transaction over several of the methods below. */
  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  // -- towns ------------------------------------------------------------------------------------

  findTown(id: string, db: Db = this.db): Promise<TownRow | null> {
    return queryOne<TownRow>(db, `SELECT ${TOWN_COLUMNS} FROM towns WHERE id = $1`, [id]);
  }

  /** Locks the town row so that concurrent settings changes apply one after the other. */
  lockTown(m: EntityManager, id: string): Promise<TownRow | null> {
    return queryOne<TownRow>(m, `SELECT ${TOWN_COLUMNS} FROM towns WHERE id = $1 FOR UPDATE`, [id]);
  }

  async updateTownSettings(m: EntityManager, id: string, patch: Partial<TownSettings>): Promise<TownRow> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    for (const [prop, col] of Object.entries(TOWN_SETTING_COLUMNS)) {
      const value = patch[prop as keyof TownSettings];
      if (value === undefined) continue;
      params.push(JSON_SETTINGS.has(prop) ? JSON.stringify(value) : value);
      sets.push(`${col} = $${params.length}`);
    }
    const row = await queryOne<TownRow>(m, `UPDATE towns SET ${sets.join(', ')} WHERE id = $1 RETURNING ${TOWN_COLUMNS}`, params);
    return row as TownRow;
  }

  // -- villages ---------------------------------------------------------------------------------

  async insertVillage(m: EntityManager, townId: string, code: string, name: string): Promise<VillageRow> {
    const row = await queryOne<VillageRow>(m, `INSERT INTO villages (town_id, code, name) VALUES ($1, $2, $3) RETURNING ${VILLAGE_COLUMNS}`, [townId, code, name]);
    return row as VillageRow;
  }

  listVillages(townId: string, onlyVillageId: string | null): Promise<VillageRow[]> {
    return queryRows<VillageRow>(
      this.db,
      `SELECT ${VILLAGE_COLUMNS} FROM villages WHERE town_id = $1 AND ($2::uuid IS NULL OR id = $2) ORDER BY code`,
      [townId, onlyVillageId],
    );
  }

  /** What the board prints for the village: its committee and phone (null = clear). */
  updateVillageBoardSettings(m: EntityManager, id: string, patch: { committee?: string | null; contactPhone?: string | null }): Promise<VillageRow | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    if (patch.committee !== undefined) sets.push(`committee = $${params.push(patch.committee)}`);
    if (patch.contactPhone !== undefined) sets.push(`contact_phone = $${params.push(patch.contactPhone)}`);
    return queryOne<VillageRow>(m, `UPDATE villages SET ${sets.join(', ')} WHERE id = $1 RETURNING ${VILLAGE_COLUMNS}`, params);
  }

  findVillage(id: string, db: Db = this.db): Promise<VillageRow | null> {
    return queryOne<VillageRow>(db, `SELECT ${VILLAGE_COLUMNS} FROM villages WHERE id = $1`, [id]);
  }

  /** Serialises writers of one village's roster (duplicate checks must see each other's rows). */
  async lockVillage(m: EntityManager, id: string): Promise<void> {
    await m.query(`SELECT 1 FROM villages WHERE id = $1 FOR UPDATE`, [id]);
  }

  // -- households -------------------------------------------------------------------------------

  async insertHousehold(m: EntityManager, h: Omit<HouseholdRow, 'id'>): Promise<HouseholdRow> {
    const row = await queryOne<HouseholdRow>(
      m,
      `INSERT INTO households (town_id, village_id, code, address) VALUES ($1, $2, $3, $4)
       RETURNING id, town_id AS "townId", village_id AS "villageId", code, address`,
      [h.townId, h.villageId, h.code, h.address],
    );
    return row as HouseholdRow;
  }

  /** Inserts the codes not there yet; returns every requested code's household id. */
  async ensureHouseholds(m: EntityManager, townId: string, villageId: string, codes: string[]): Promise<{ ids: Map<string, string>; created: number }> {
    const inserted = await queryRows<{ id: string }>(
      m,
      `INSERT INTO households (town_id, village_id, code) SELECT $1, $2, unnest($3::text[])
       ON CONFLICT ON CONSTRAINT uq_households_village_code DO NOTHING RETURNING id`,
      [townId, villageId, codes],
    );
    const rows = await queryRows<{ id: string; code: string }>(m, `SELECT id, code FROM households WHERE village_id = $1 AND code = ANY($2::text[])`, [
      villageId,
      codes,
    ]);
    return { ids: new Map(rows.map((r) => [r.code, r.id])), created: inserted.length };
  }

  listHouseholds(villageId: string, db: Db = this.db): Promise<Array<HouseholdRow & { residentCount: number }>> {
    return queryRows(
      db,
      `SELECT h.id, h.town_id AS "townId", h.village_id AS "villageId", h.code, h.address, count(r.id)::int AS "residentCount"
       FROM households h LEFT JOIN residents r ON r.household_id = h.id
       WHERE h.village_id = $1 GROUP BY h.id, h.town_id ORDER BY h.code`,
      [villageId],
    );
  }

  /** A household with its village's name, for the household page. */
  findHousehold(id: string, db: Db = this.db): Promise<(HouseholdRow & { villageName: string }) | null> {
    return queryOne(
      db,
      `SELECT h.id, h.town_id AS "townId", h.village_id AS "villageId", h.code, h.address, v.name AS "villageName"
       FROM households h JOIN villages v ON v.id = h.village_id WHERE h.id = $1`,
      [id],
    );
  }

  /**
   * The household's members with what their accounts say (the ledger's projection, not a copy):
   * balance, credit score and grade; null for a resident with no posting yet.
   */
  householdMembers(householdId: string, db: Db = this.db): Promise<HouseholdMemberRow[]> {
    return queryRows<HouseholdMemberRow>(
      db,
      `SELECT r.id, r.name, r.gender, r.birth_year AS "birthYear", r.card_code AS "cardCode", r.status,
              a.balance, a.credit_score AS "creditScore", a.grade
       FROM residents r LEFT JOIN accounts a ON a.resident_id = r.id
       WHERE r.household_id = $1 ORDER BY r.birth_year, r.name, r.id`,
      [householdId],
    );
  }

  findHouseholdInVillage(id: string, villageId: string, db: Db = this.db): Promise<HouseholdRow | null> {
    return queryOne<HouseholdRow>(
      db,
      `SELECT id, town_id AS "townId", village_id AS "villageId", code, address FROM households WHERE id = $1 AND village_id = $2`,
      [id, villageId],
    );
  }

  // -- residents --------------------------------------------------------------------------------

  /** Ids of the inserted rows, in no particular order. */
  async insertResidents(m: EntityManager, townId: string, villageId: string, rows: NewResident[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const inserted = await queryRows<{ id: string }>(
      m,
      `INSERT INTO residents (town_id, village_id, household_id, name, gender, birth_year, card_code, phone, sms_consent, id_hash, id_last4)
       SELECT $1, $2, r."householdId", r.name, r.gender, r."birthYear", r."cardCode", r.phone, coalesce(r."smsConsent", false), r."idHash", r."idLast4"
       FROM jsonb_to_recordset($3::jsonb)
         AS r("householdId" uuid, name text, gender char(1), "birthYear" int, "cardCode" text, phone text, "smsConsent" boolean, "idHash" text, "idLast4" text)
       RETURNING id`,
      [townId, villageId, JSON.stringify(rows)],
    );
    return inserted.map((r) => r.id);
  }

  async insertStatusEvents(m: EntityManager, events: StatusEvent[]): Promise<void> {
    if (events.length === 0) return;
    await m.query(
      `INSERT INTO resident_status_events (town_id, resident_id, from_status, to_status, effective_on, reason, actor_id)
       SELECT e."townId", e."residentId", e."fromStatus", e."toStatus", e."effectiveOn", e.reason, e."actorId"
       FROM jsonb_to_recordset($1::jsonb) AS e("townId" uuid, "residentId" uuid, "fromStatus" text, "toStatus" text, "effectiveOn" date, reason text, "actorId" uuid)`,
      [JSON.stringify(events)],
    );
  }

  findResident(id: string, db: Db = this.db): Promise<ResidentRow | null> {
    return queryOne<ResidentRow>(db, `${RESIDENT_SELECT} WHERE r.id = $1`, [id]);
  }

  async listResidents(villageId: string, f: ResidentFilter, limit: number, offset: number): Promise<{ items: ResidentRow[]; total: number }> {
    const where = `WHERE r.village_id = $1 AND ($2::text IS NULL OR r.status = $2) AND ($3::uuid IS NULL OR r.household_id = $3)
      AND ($4::text IS NULL OR strpos(r.name, $4) > 0 OR strpos(r.card_code, upper($4)) > 0)`;
    const params = [villageId, f.status ?? null, f.householdId ?? null, f.q ?? null];
    const items = await queryRows<ResidentRow>(this.db, `${RESIDENT_SELECT} ${where} ORDER BY h.code, r.name, r.id LIMIT $5 OFFSET $6`, [...params, limit, offset]);
    const count = await queryOne<{ n: number }>(this.db, `SELECT count(*)::int AS n FROM residents r ${where}`, params);
    return { items, total: count?.n ?? 0 };
  }

  /**
   * Residents of the town whose name contains q or whose card code contains it (card codes are
   * upper case). An exact card code first. A town has tens of thousands of residents: one scan of
   * its rows by town, cut at `limit`.
   */
  searchTownResidents(townId: string, q: string, limit: number, db: Db = this.db): Promise<ResidentMatchRow[]> {
    return queryRows<ResidentMatchRow>(
      db,
      `SELECT r.id, r.name, r.card_code AS "cardCode", h.code AS "householdCode", r.village_id AS "villageId", v.name AS "villageName", r.status
       FROM residents r JOIN households h ON h.id = r.household_id JOIN villages v ON v.id = r.village_id
       WHERE r.town_id = $1 AND (strpos(r.name, $2) > 0 OR strpos(r.card_code, upper($2)) > 0)
       ORDER BY (r.card_code = upper($2)) DESC, v.code, r.name, r.id
       LIMIT $3`,
      [townId, q, limit],
    );
  }

  /** Residents already registered under any of these ID hashes, anywhere. */
  findByIdHashes(m: Db, hashes: string[]): Promise<RosterMatch[]> {
    return queryRows(
      m,
      `SELECT r.id, r.village_id AS "villageId", r.id_hash AS "idHash", r.card_code AS "cardCode", r.name, r.phone, h.code AS "householdCode"
       FROM residents r JOIN households h ON h.id = r.household_id WHERE r.id_hash = ANY($1::text[])`,
      [hashes],
    );
  }

  /** The village's active residents (with ID hash, for matching a roster against; never answered). */
  activeResidentsOfVillage(m: Db, villageId: string): Promise<Array<{ id: string; idHash: string; name: string; cardCode: string; householdCode: string }>> {
    return queryRows(
      m,
      `SELECT r.id, r.id_hash AS "idHash", r.name, r.card_code AS "cardCode", h.code AS "householdCode"
       FROM residents r JOIN households h ON h.id = r.household_id WHERE r.village_id = $1 AND r.status = 'active' ORDER BY h.code, r.name`,
      [villageId],
    );
  }

  async householdCodesIn(m: Db, villageId: string, codes: string[]): Promise<Set<string>> {
    const rows = await queryRows<{ code: string }>(m, `SELECT code FROM households WHERE village_id = $1 AND code = ANY($2::text[])`, [villageId, codes]);
    return new Set(rows.map((r) => r.code));
  }

  /** Name, phone and household of registered residents, as a roster import says. */
  async updateResidentsFromRoster(m: EntityManager, rows: Array<{ id: string; name: string; phone: string | null; householdId: string }>): Promise<void> {
    if (rows.length === 0) return;
    await m.query(
      `UPDATE residents r SET name = u.name, phone = u.phone, household_id = u."householdId"
       FROM jsonb_to_recordset($1::jsonb) AS u(id uuid, name text, phone text, "householdId" uuid) WHERE r.id = u.id`,
      [JSON.stringify(rows)],
    );
  }

  async cardCodesInUse(m: Db, codes: string[]): Promise<Set<string>> {
    if (codes.length === 0) return new Set();
    const rows = await queryRows<{ cardCode: string }>(m, `SELECT card_code AS "cardCode" FROM residents WHERE card_code = ANY($1::text[])`, [codes]);
    return new Set(rows.map((r) => r.cardCode));
  }

  /** Compare-and-set: null when the status is no longer `from` (someone changed it meanwhile). */
  async updateResidentStatus(m: EntityManager, id: string, from: ResidentStatus, to: ResidentStatus): Promise<{ id: string } | null> {
    return queryOne<{ id: string }>(m, `UPDATE residents SET status = $3 WHERE id = $1 AND status = $2 RETURNING id`, [id, from, to]);
  }
}
