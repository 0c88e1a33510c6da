import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { sqlJsonInstant, sqlShanghaiDate } from '@app/common/time';
import { prepared, queryOne, queryRows, type Queryable } from '@app/database/sql';
import type { GradeThresholds } from '@app/scoring/grade';
import type { ItemCaps, Rule } from '@app/scoring/rules/rule.types';
import type { PostingKind } from './ledger.entities';

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

export interface StatementPostingRow {
  id: string;
  seq: number;
  /** The instant as JSON writes a Date ('YYYY-MM-DDTHH:mm:ss.sssZ', milliseconds truncated as pg's Date is). */
  postedAt: string;
  /** The Shanghai calendar date of `postedAt` ('YYYY-MM-DD'; its first 7 characters are the period it was posted in). */
  postedDate: string;
  period: string;
  kind: PostingKind;
  points: number;
  itemCode: string | null;
  itemName: string | null;
  memo: string | null;
  sourceRef: string;
  correctionType: 'reversal' | 'amount' | null;
  correctionReason: string | null;
  originalPostingId: string | null;
  /**
   * Deed postings: the entry behind them, as flat columns (null for other kinds). `ruleItemId` is
   * the exact catalogue item version that scored it: its rule is read once per item and its words
   * kept (catalog_items is append-only), not sent and parsed again on every line.
   */
  ruleItemId: string | null;
  sign: 1 | -1 | null;
  occurredOn: string | null;
  reviewPeriod: string | null;
  committeeReason: string | null;
  evidenceNote: string | null;
  explanation: string | null;
  decision: 'approved' | 'rejected' | null;
  decisionReason: string | null;
  meetingOn: string | null;
  objectionDismissed: boolean | null;
  /** Redemptions and their voids: the receipt and the shop. */
  receiptNo: string | null;
  shopName: string | null;
}

/** What a line's running balance and credit score need: every posting of the account has one (StatementRepository.findStatementResidentRunning). */
export type StatementRunningRow = Pick<StatementPostingRow, 'seq' | 'points' | 'kind' | 'period' | 'postedDate'>;

/** A catalogue item version's rule, to put in words (explainRule). */
export interface RuleSource {
  id: string;
  sign: 1 | -1;
  rule: Rule;
  caps: ItemCaps | null;
}

/**
 * Every posting of an account in seq order (StatementRepository.listStatementPostings), prepared:
 * planned once per connection, then a cached generic plan; planning these thirteen relations took
 * longer than running them (issue 19, docs/PERFORMANCE.md "Reads at 10 M postings"). The posting time comes as
 * the text the answer carries, with its Shanghai date beside it: parsing a Date per line and
 * formatting it three times was ≈ 8 % of the api's CPU on a 194-line statement (docs/PERFORMANCE.md "The
 * statement's dates from SQL").
 */
const STATEMENT_POSTINGS_SQL = `SELECT p.id::text AS id, p.seq,
          ${sqlJsonInstant('p.posted_at')} AS "postedAt", ${sqlShanghaiDate('p.posted_at')} AS "postedDate", p.period, p.kind, p.points, p.item_code AS "itemCode",
          item.name AS "itemName", p.memo, p.source_ref AS "sourceRef",
          c.type AS "correctionType", c.reason AS "correctionReason", c.original_posting_id::text AS "originalPostingId",
          d.rule_item_id AS "ruleItemId", d.sign, d.occurred_on AS "occurredOn", d.review_period AS "reviewPeriod",
          d.reason AS "committeeReason", d.evidence_note AS "evidenceNote", d.explanation, d.decision, d.decision_reason AS "decisionReason",
          d.meeting_on AS "meetingOn", d.objection_dismissed AS "objectionDismissed",
          rd.receipt_no AS "receiptNo", rd.shop_name AS "shopName"
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
    ORDER BY p.seq`;
const STATEMENT_POSTINGS = prepared(STATEMENT_POSTINGS_SQL);

/** The same lines for a seq range only (a page of the statement on screen): the joins run for that page's postings alone. */
const STATEMENT_POSTINGS_BETWEEN = prepared(STATEMENT_POSTINGS_SQL.replace('WHERE p.account_id = $1\n', 'WHERE p.account_id = $1 AND p.seq BETWEEN $2 AND $3\n'));
if (STATEMENT_POSTINGS_BETWEEN.text === STATEMENT_POSTINGS.text) throw new Error('STATEMENT_POSTINGS_BETWEEN: the account filter was not found');

const STATEMENT_RESIDENT_COLUMNS = `r.id AS "residentId", r.name, r.town_id AS "townId", r.village_id AS "villageId", v.name AS "villageName",
              t.base_score AS "baseScore", t.grade_thresholds AS "gradeThresholds", a.balance, a.credit_score AS "creditScore", a.grade`;
const STATEMENT_RESIDENT_FROM = `FROM residents r JOIN towns t ON t.id = r.town_id JOIN villages v ON v.id = r.village_id
         LEFT JOIN accounts a ON a.resident_id = r.id
        WHERE r.id = $1`;

/**
 * The resident with what every line's running balance and credit score need (seq, points, kind,
 * period and Shanghai date of every posting of the account), in one round trip: a page of the
 * statement still has to count every line before it, but not to join or send them. The lines
 * come as one JSON array of [seq, points, kind, period, postedDate] arrays (pg parses it with
 * JSON.parse, not field by field per row).
 */
const STATEMENT_RESIDENT_RUNNING = prepared(`SELECT ${STATEMENT_RESIDENT_COLUMNS},
              (SELECT json_agg(json_build_array(p.seq, p.points, p.kind, p.period, ${sqlShanghaiDate('p.posted_at')}) ORDER BY p.seq)
                 FROM postings p WHERE p.account_id = a.resident_id) AS running
         ${STATEMENT_RESIDENT_FROM}`);

type RunningTuple = [number, number, PostingKind, string, string];

/** The resident's statement (StatementService): read only, on the primary or the read replica (`db`). */
@Injectable()
export class StatementRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async findStatementResident(residentId: string, db: Queryable = this.db): Promise<StatementResident | null> {
    return queryOne<StatementResident>(db, `SELECT ${STATEMENT_RESIDENT_COLUMNS} ${STATEMENT_RESIDENT_FROM}`, [residentId]);
  }

  /** The resident (as findStatementResident) and the narrow row of every posting of its account, in seq order, in one query. */
  async findStatementResidentRunning(residentId: string, db: Queryable = this.db): Promise<(StatementResident & { running: StatementRunningRow[] }) | null> {
    const found = await queryOne<StatementResident & { running: RunningTuple[] | null }>(db, STATEMENT_RESIDENT_RUNNING, [residentId]);
    if (!found) return null;
    const running = (found.running ?? []).map(([seq, points, kind, period, postedDate]) => ({ seq, points, kind, period, postedDate }));
    return { ...found, running };
  }

  /**
   * Every posting of the account in seq order, with the catalogue item's name (a village's own
   * item first, else the town's most recently adopted version that has the code) and, for
   * corrections, the reason and the original posting.
   */
  async listStatementPostings(residentId: string, db: Queryable = this.db): Promise<StatementPostingRow[]> {
    return queryRows<StatementPostingRow>(db, STATEMENT_POSTINGS, [residentId]);
  }

  /** The postings of the account with seq in from..to (both included), as listStatementPostings gives them. */
  async listStatementPostingsBetween(residentId: string, fromSeq: number, toSeq: number, db: Queryable = this.db): Promise<StatementPostingRow[]> {
    return queryRows<StatementPostingRow>(db, STATEMENT_POSTINGS_BETWEEN, [residentId, fromSeq, toSeq]);
  }

  /** The scoring rules of these catalogue item versions (the ones a statement has not seen yet). */
  ruleSources(itemIds: string[], db: Queryable = this.db): Promise<RuleSource[]> {
    return queryRows<RuleSource>(db, `SELECT id::text AS id, sign, rule, caps FROM catalog_items WHERE id = ANY($1::uuid[])`, [itemIds]);
  }
}
