import { Injectable } from '@nestjs/common';
import { queryOne, queryRows, type Db } from '@app/database/sql';
import { POSTING_COLUMNS, type StoredPosting } from './ledger.repository';

export interface CorrectablePosting extends StoredPosting {
  residentVillageId: string;
  residentTownId: string;
}

/**
 * The SQL of corrections and opening balances (CorrectionsService); the postings themselves go
 * through LedgerRepository. Every method runs in the caller's transaction.
 */
@Injectable()
export class CorrectionsRepository {
  async findPostingWithResident(m: Db, postingId: string): Promise<CorrectablePosting | null> {
    return queryOne<CorrectablePosting>(
      m,
      `SELECT ${POSTING_COLUMNS}, r.village_id AS "residentVillageId", r.town_id AS "residentTownId"
         FROM postings p JOIN residents r ON r.id = p.account_id
        WHERE p.id = $1::bigint`,
      [postingId],
    );
  }

  async listCorrectionsOf(m: Db, postingId: string): Promise<Array<{ type: 'reversal' | 'amount'; points: number }>> {
    return queryRows(m, `SELECT type, points FROM ledger_corrections WHERE original_posting_id = $1::bigint ORDER BY created_at`, [postingId]);
  }

  async insertCorrection(
    m: Db,
    c: { townId: string; residentId: string; originalPostingId: string; type: 'reversal' | 'amount'; points: number; reason: string; createdBy: string },
  ): Promise<{ id: string; createdAt: Date }> {
    const row = await queryOne<{ id: string; createdAt: Date }>(
      m,
      `INSERT INTO ledger_corrections (town_id, resident_id, original_posting_id, type, points, reason, created_by)
       VALUES ($1, $2, $3::bigint, $4, $5, $6, $7) RETURNING id, created_at AS "createdAt"`,
      [c.townId, c.residentId, c.originalPostingId, c.type, c.points, c.reason, c.createdBy],
    );
    return row as { id: string; createdAt: Date };
  }

  async findResidentsInTown(m: Db, townId: string, residentIds: string[]): Promise<string[]> {
    const rows = await queryRows<{ id: string }>(m, `SELECT id FROM residents WHERE town_id = $1 AND id = ANY($2::uuid[])`, [townId, residentIds]);
    return rows.map((r) => r.id);
  }
}
