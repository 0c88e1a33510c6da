import { Injectable } from '@nestjs/common';
import { queryRows, type Db } from '@app/database/sql';
import { LOCKED_ACCOUNT_COLUMNS, type LockedAccount } from './ledger.repository';

/** The SQL of a rating year end (YearEndService). Every method runs in the caller's transaction. */
@Injectable()
export class YearEndRepository {
  /**
   * The town row, for update, first thing in a year end: accounts being opened meanwhile (which
   * share-lock it, LedgerRepository.findResidentsWithoutAccount) finish before the accounts are
   * read, so none is left behind in the old year.
   */
  async lockTown(m: Db, townId: string): Promise<void> {
    await m.query(`SELECT 1 FROM towns WHERE id = $1 FOR UPDATE`, [townId]);
  }

  /** Locks the town's accounts still in rating year `year`, in resident order. */
  async lockAccountsInRatingYear(m: Db, townId: string, year: number): Promise<LockedAccount[]> {
    return queryRows<LockedAccount>(
      m,
      `SELECT ${LOCKED_ACCOUNT_COLUMNS}
         FROM accounts a JOIN towns t ON t.id = a.town_id
        WHERE a.town_id = $1 AND a.rating_year = $2
        ORDER BY a.resident_id
        FOR UPDATE OF a`,
      [townId, year],
    );
  }

  /** Archives the finished year's score and grade; a rating already archived is kept as it is. */
  async archiveYearlyRatings(m: Db, townId: string, year: number, accountIds: string[]): Promise<number> {
    const rows = await queryRows<{ residentId: string }>(
      m,
      `INSERT INTO yearly_ratings (resident_id, year, town_id, credit_score, grade)
       SELECT a.resident_id, $2, a.town_id, a.credit_score, a.grade FROM accounts a
        WHERE a.town_id = $1 AND a.rating_year = $2 AND a.resident_id = ANY($3::uuid[])
       ON CONFLICT (resident_id, year, town_id) DO NOTHING
       RETURNING resident_id AS "residentId"`,
      [townId, year, accountIds],
    );
    return rows.length;
  }

  /** Σ deed/correction points per account already posted for periods of `year` (posted before the year was opened). */
  async sumCreditPointsOfYear(m: Db, townId: string, year: number): Promise<Map<string, number>> {
    const rows = await queryRows<{ accountId: string; points: number }>(
      m,
      `SELECT account_id AS "accountId", sum(points)::int AS points FROM postings
        WHERE town_id = $1 AND period >= $2 AND period <= $3 AND kind IN ('deed', 'correction')
        GROUP BY account_id`,
      [townId, `${year}-01`, `${year}-12`],
    );
    return new Map(rows.map((r) => [r.accountId, r.points]));
  }

  async startRatingYear(m: Db, year: number, rows: Array<{ accountId: string; creditScore: number; grade: string }>): Promise<void> {
    if (rows.length === 0) return;
    await m.query(
      `UPDATE accounts a SET rating_year = $1, credit_score = u.credit_score, grade = u.grade, updated_at = now()
         FROM unnest($2::uuid[], $3::int[], $4::text[]) AS u(resident_id, credit_score, grade)
        WHERE a.resident_id = u.resident_id`,
      [year, rows.map((r) => r.accountId), rows.map((r) => r.creditScore), rows.map((r) => r.grade)],
    );
  }
}
