import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { sqlJsonInstant, sqlShanghaiDate } from '@app/common/time';
import { prepared, queryRows, type Queryable } from '@app/database/sql';
import type { GradeThresholds } from '@app/scoring/grade';
import type { ItemCaps, Rule } from '@app/scoring/rules/rule.types';
import { KIND_LABELS } from './kind-labels';
import { CREDIT_SCORE_KINDS } from './projection';

export interface StatementResident {
  residentId: string;
  name: string;
  townId: string;
  villageId: string;
  villageName: string;
  baseScore: number;
  gradeThresholds: GradeThresholds | null;
  balance: number | null;
  creditScore: number | null;
  grade: string | null;
}

/**
 * A row of the statement query (STATEMENT_DOCUMENT): seq 0 is the resident (`json` holds a
 * StatementResident), seq ≥ 1 a posting, in seq order, its line already JSON (a StatementLineDto
 * without `ruleText`), beside what the service still needs: the rule's item version to put in
 * words, the period it was posted in (for a from/to range) and the running balance.
 */
export interface StatementDocumentRow {
  seq: number;
  /** The catalogue item version that scored a deed (its rule in words is the line's ruleText); null otherwise. */
  ruleItemId: string | null;
  itemCode: string | null;
  /** 'YYYY-MM' of the posting's Shanghai date (null on the resident's row). */
  postedPeriod: string | null;
  balance: number | null;
  json: string;
}

/** A catalogue item version's rule, to put in words (explainRule). */
export interface RuleSource {
  id: string;
  sign: 1 | -1;
  rule: Rule;
  caps: ItemCaps | null;
}

const sqlText = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** SQL: the posting kind `k` in Chinese (KIND_LABELS). */
const kindLabelSql = (k: string): string => `CASE ${k} ${Object.entries(KIND_LABELS).map(([kind, label]) => `WHEN ${sqlText(kind)} THEN ${sqlText(label)}`).join(' ')} END`;

/**
 * A resident's whole statement in one round trip, prepared (planned once per connection, then a
 * cached generic plan: planning these thirteen relations took longer than running them, README
 * "Reads at 10 M postings"). Row seq 0 is the resident with their town's base score and grade
 * table and the account head; then every posting in seq order with its line as JSON text, built
 * by PostgreSQL: the running balance, the running credit score of the posting's rating year (base
 * + that year's deed and correction points so far: projection.ts's CREDIT_SCORE_KINDS and
 * ratingYearOfPeriod, the period's first four characters), the kind and points in words, the
 * warning (a breach item's 0 points) and the review decision in words. Reading ≈ 30 columns a
 * line into JS objects, building each line and JSON.stringify-ing it again was most of the api's
 * CPU on a statement (README "The statement as JSON from SQL"). Only the rule in words comes from
 * the api (explainRule, kept per item version): StatementService puts it in front of each line.
 * The posting time is the text JSON writes for a Date, its Shanghai date beside it (README "The
 * statement's dates from SQL").
 */
const STATEMENT_DOCUMENT = prepared(`WITH res AS (
  SELECT r.id::text AS "residentId", r.name, r.town_id::text AS "townId", r.village_id::text AS "villageId", v.name AS "villageName",
         t.base_score AS "baseScore", t.grade_thresholds AS "gradeThresholds", a.balance, a.credit_score AS "creditScore", a.grade
    FROM residents r JOIN towns t ON t.id = r.town_id JOIN villages v ON v.id = r.village_id
    LEFT JOIN accounts a ON a.resident_id = r.id
   WHERE r.id = $1
), l AS (
  SELECT p.id::text AS id, p.seq,
         ${sqlJsonInstant('p.posted_at')} AS posted_at, ${sqlShanghaiDate('p.posted_at')} AS posted_date, p.period, p.kind, p.points, p.item_code,
         item.name AS item_name, p.memo, c.reason AS correction_reason, c.original_posting_id::text AS original_posting_id,
         d.rule_item_id, d.sign, d.occurred_on, d.review_period, d.reason AS committee_reason, d.evidence_note, d.explanation,
         d.decision, d.decision_reason, d.meeting_on, d.objection_dismissed, rd.receipt_no, rd.shop_name
    FROM postings p
    LEFT JOIN LATERAL (
      -- CASE fixes the evaluation order: only a correction's source ref (a correction id) is cast.
      SELECT lc.type, lc.reason, lc.original_posting_id FROM ledger_corrections lc
       WHERE lc.id = CASE WHEN p.kind = 'correction' THEN p.source_ref::uuid END
    ) c ON true
    LEFT JOIN LATERAL (
      SELECT ci.name FROM catalog_items ci
        LEFT JOIN catalog_adoptions ca ON ca.version_id = ci.version_id AND ca.town_id = p.town_id
       WHERE p.item_code IS NOT NULL AND ci.code = p.item_code AND (ci.village_id = p.village_id OR ca.id IS NOT NULL)
       ORDER BY (ci.village_id IS NOT NULL) DESC, ca.effective_from DESC NULLS LAST
       LIMIT 1
    ) item ON true
    LEFT JOIN LATERAL (
      -- A deed's source ref is 'entry:<uuid>'; CASE keeps the cast to deed postings.
      SELECT ci.id::text AS rule_item_id, ci.sign, to_char(e.occurred_on, 'YYYY-MM-DD') AS occurred_on, e.period AS review_period,
             e.reason, e.evidence_note, coalesce(s.final_explanation, e.explanation) ->> 'text' AS explanation,
             dec.type AS decision, dec.reason AS decision_reason,
             (SELECT to_char(rm.held_on, 'YYYY-MM-DD') FROM review_meetings rm JOIN review_cycles rc ON rc.id = rm.cycle_id
               WHERE rc.village_id = e.village_id AND rc.period = e.period ORDER BY rm.recorded_at DESC, rm.id LIMIT 1) AS meeting_on,
             EXISTS (SELECT 1 FROM entry_events ob WHERE ob.entry_id = e.id AND ob.type = 'objection_dismissed') AS objection_dismissed
        FROM deed_entries e
        JOIN entry_states s ON s.entry_id = e.id
        JOIN catalog_items ci ON ci.id = e.item_id
        LEFT JOIN LATERAL (
          SELECT ev.type, ev.reason FROM entry_events ev
           WHERE ev.entry_id = e.id AND ev.type IN ('approved', 'rejected') ORDER BY ev.id DESC LIMIT 1
        ) dec ON true
       WHERE e.id = CASE WHEN p.kind = 'deed' AND p.source_ref LIKE 'entry:%' THEN substr(p.source_ref, 7)::uuid END
    ) d ON true
    LEFT JOIN LATERAL (
      SELECT r.receipt_no, sh.name AS shop_name FROM redemptions r JOIN shops sh ON sh.id = r.shop_id
       WHERE r.id = CASE WHEN p.kind = 'redemption' AND p.source_ref LIKE 'redemption:%' THEN substr(p.source_ref, 12)::uuid
                         WHEN p.kind = 'redemption_void' AND p.source_ref LIKE 'void:%' THEN substr(p.source_ref, 6)::uuid END
    ) rd ON true
   WHERE p.account_id = $1
), w AS (
  SELECT l.*,
         (sum(l.points) OVER (ORDER BY l.seq ROWS UNBOUNDED PRECEDING))::int AS balance,
         (sum(CASE WHEN l.kind IN (${[...CREDIT_SCORE_KINDS].map(sqlText).join(', ')}) THEN l.points ELSE 0 END)
            OVER (PARTITION BY left(l.period, 4) ORDER BY l.seq ROWS UNBOUNDED PRECEDING))::int AS credit,
         (l.kind = 'deed' AND l.points = 0 AND l.sign IS NOT DISTINCT FROM -1) AS warning
    FROM l
)
SELECT 0 AS seq, NULL::text AS "ruleItemId", NULL::text AS "itemCode", NULL::text AS "postedPeriod", NULL::int AS balance, to_json(res)::text AS json
  FROM res
UNION ALL
SELECT w.seq, w.rule_item_id, w.item_code, left(w.posted_date, 7), w.balance, to_json(o)::text
  FROM w CROSS JOIN res CROSS JOIN LATERAL (
    SELECT w.seq, w.id AS "postingId", w.posted_at AS "postedAt", w.posted_date AS date, w.period, w.kind, ${kindLabelSql('w.kind')} AS "kindLabel",
           w.item_code AS "itemCode", w.item_name AS "itemName", w.memo, w.correction_reason AS reason, w.original_posting_id AS "originalPostingId",
           w.points,
           -- pointsLabel: '+5', '−10' (U+2212), '0'; a breach item's 0-point record is a warning (警告).
           CASE WHEN w.warning THEN '警告' WHEN w.points > 0 THEN '+' || w.points WHEN w.points < 0 THEN '\u2212' || -w.points ELSE '0' END AS "pointsLabel",
           w.warning, w.occurred_on AS "occurredOn", w.explanation, w.committee_reason AS "committeeReason", w.evidence_note AS "evidenceNote",
           -- Null for lines without a review decision, which all but deed lines are.
           CASE WHEN w.decision IS NOT NULL THEN
             CASE WHEN w.decision = 'approved' THEN '议事会通过' ELSE '议事会未通过' END
             || coalesce('（' || w.meeting_on || ' 会议）', '')
             || CASE WHEN w.objection_dismissed THEN '；公示期异议经核实不成立' ELSE '' END
           END AS decision,
           w.decision_reason AS "decisionReason", w.review_period AS "reviewPeriod", w.receipt_no AS "receiptNo", w.shop_name AS "shopName",
           w.balance, res."baseScore" + w.credit AS "creditScore"
  ) o
ORDER BY seq`);

/** The resident's statement (StatementService): read only, on the primary or the read replica (`db`). */
@Injectable()
export class StatementRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * The resident (row seq 0) and every posting of their account as a statement line (seq order):
   * no rows when there is no such resident.
   */
  async statementRows(residentId: string, db: Queryable = this.db): Promise<StatementDocumentRow[]> {
    return queryRows<StatementDocumentRow>(db, STATEMENT_DOCUMENT, [residentId]);
  }

  /** The scoring rules of these catalogue item versions (the ones a statement has not seen yet). */
  ruleSources(itemIds: string[], db: Queryable = this.db): Promise<RuleSource[]> {
    return queryRows<RuleSource>(db, `SELECT id::text AS id, sign, rule, caps FROM catalog_items WHERE id = ANY($1::uuid[])`, [itemIds]);
  }
}
