import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { prepared, queryOne, queryRows } from '@app/database/sql';
import type { ResidentStatus } from '@app/org/org.entities';
import type { GradeThresholds } from '@app/scoring/grade';

export interface CardResident {
  id: string;
  townId: string;
  villageId: string;
  name: string;
  status: ResidentStatus;
  cardCode: string;
  householdId: string;
  householdCode: string;
}

export interface TokenHolder {
  tokenId: string;
  residentId: string;
  townId: string;
  villageId: string;
}

const CARD_RESIDENT_COLUMNS = `r.id, r.town_id AS "townId", r.village_id AS "villageId", r.name, r.status, r.card_code AS "cardCode",
       r.household_id AS "householdId", h.code AS "householdCode"`;

// Every request of the phone page runs this: one unique-index lookup, prepared once per connection.
const LIVE_TOKEN = prepared(
  `SELECT id AS "tokenId", resident_id AS "residentId", town_id AS "townId", village_id AS "villageId"
     FROM resident_access_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
);

/** All SQL of resident access tokens and the resident page. */
@Injectable()
export class ResidentPageRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Runs `work` in one transaction (the feature's only way to open one). */
  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The resident, locked: two reissues of one card run one after the other (one live token each time). */
  async lockCardResident(m: EntityManager, residentId: string): Promise<CardResident | null> {
    return queryOne<CardResident>(m, `SELECT ${CARD_RESIDENT_COLUMNS} FROM residents r JOIN households h ON h.id = r.household_id WHERE r.id = $1 FOR UPDATE OF r`, [residentId]);
  }

  /** Active residents of a village (or of one household in it), locked, in print order: household, then name. */
  async lockActiveCardResidents(m: EntityManager, villageId: string, householdId: string | null): Promise<CardResident[]> {
    return queryRows<CardResident>(
      m,
      `SELECT ${CARD_RESIDENT_COLUMNS} FROM residents r JOIN households h ON h.id = r.household_id
        WHERE r.village_id = $1 AND r.status = 'active' AND ($2::uuid IS NULL OR r.household_id = $2)
        ORDER BY h.code, r.name, r.id FOR UPDATE OF r`,
      [villageId, householdId],
    );
  }

  async householdInVillage(householdId: string, villageId: string): Promise<boolean> {
    return (await queryOne(this.db, `SELECT 1 FROM households WHERE id = $1 AND village_id = $2`, [householdId, villageId])) !== null;
  }

  async villageNames(villageId: string): Promise<{ villageName: string; townName: string } | null> {
    return queryOne(this.db, `SELECT v.name AS "villageName", t.name AS "townName" FROM villages v JOIN towns t ON t.id = v.town_id WHERE v.id = $1`, [villageId]);
  }

  /** Revokes the live tokens of these residents; the ids of the residents that had one. */
  async revokeLiveTokens(m: EntityManager, residentIds: string[], revokedBy: string): Promise<string[]> {
    const rows = await queryRows<{ residentId: string }>(
      m,
      `UPDATE resident_access_tokens SET revoked_at = now(), revoked_by = $2
        WHERE resident_id = ANY($1::uuid[]) AND revoked_at IS NULL RETURNING resident_id AS "residentId"`,
      [residentIds, revokedBy],
    );
    return rows.map((r) => r.residentId);
  }

  async insertTokens(m: EntityManager, rows: Array<{ townId: string; villageId: string; residentId: string; tokenHash: string }>, issuedBy: string): Promise<Date> {
    const r = await queryOne<{ issuedAt: Date }>(
      m,
      `INSERT INTO resident_access_tokens (town_id, village_id, resident_id, token_hash, issued_by)
       SELECT t.town_id, t.village_id, t.resident_id, t.token_hash, $5
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) AS t(town_id, village_id, resident_id, token_hash)
       RETURNING issued_at AS "issuedAt"`,
      [rows.map((x) => x.townId), rows.map((x) => x.villageId), rows.map((x) => x.residentId), rows.map((x) => x.tokenHash), issuedBy],
    );
    return (r as { issuedAt: Date }).issuedAt;
  }

  async findLiveToken(tokenHash: string): Promise<TokenHolder | null> {
    return queryOne<TokenHolder>(this.db, LIVE_TOKEN, [tokenHash]);
  }

  async townAndVillageNames(residentId: string): Promise<{ townName: string; villageName: string } | null> {
    return queryOne(this.db, `SELECT t.name AS "townName", v.name AS "villageName" FROM residents r JOIN towns t ON t.id = r.town_id JOIN villages v ON v.id = r.village_id WHERE r.id = $1`, [residentId]);
  }

  async gradeThresholdsOf(townId: string): Promise<GradeThresholds | null> {
    const r = await queryOne<{ t: GradeThresholds | null }>(this.db, `SELECT grade_thresholds AS t FROM towns WHERE id = $1`, [townId]);
    return r?.t ?? null;
  }

  /** The village's most recent published board (publicized or finalized), if any. */
  async latestBoardPeriod(villageId: string): Promise<string | null> {
    const r = await queryOne<{ period: string }>(this.db, `SELECT period FROM boards WHERE village_id = $1 ORDER BY period DESC LIMIT 1`, [villageId]);
    return r?.period ?? null;
  }

  /** This resident's entries of a village-period (to find their lines on its board). */
  async entryIdsOf(residentId: string, villageId: string, period: string): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(this.db, `SELECT id FROM deed_entries WHERE resident_id = $1 AND village_id = $2 AND period = $3`, [residentId, villageId, period]);
    return rows.map((r) => r.id);
  }
}
