import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { previousPeriod } from '@app/common/time';
import { EntryStatesService } from '@app/entries/entry-states.service';
import { evaluatePeriod } from '@app/scoring/rules/rule-engine';
import type { Explanation } from '@app/scoring/rules/rule.types';
import { ReviewRepository, type CycleRow, type PeriodEntry } from './review.repository';

/** The period-level rules over a cycle's standing entries: at close, after each batch of decisions, at publish. */
@Injectable()
export class CycleAssessment {
  constructor(
    private readonly repo: ReviewRepository,
    private readonly entryStates: EntryStatesService,
  ) {}

  /**
   * Scores the period's standing entries with the period-level rules. Run at close, and again
   * whenever the standing set changes (a decision): a threshold, band, per-unit total or cap
   * counts only entries that still stand, so rejecting one entry can change its siblings' points
   * (two parking offences, one rejected: the other is the first, a warning). Writes only the
   * entries whose points or explanation changed.
   */
  async assess(m: EntityManager, c: CycleRow): Promise<void> {
    const standing = (await this.repo.periodEntries(c.villageId, c.period, m)).filter((e) => e.status !== 'rejected' && e.status !== 'withdrawn');
    if (!standing.length) return;
    const year = c.period.slice(0, 4);
    const residentIds = [...new Set(standing.map((e) => e.residentId))];
    const codes = [...new Set(standing.map((e) => e.itemCode))];
    const earlier = c.period.endsWith('-01') ? [] : await this.entryStates.standingEntries(m, residentIds, codes, `${year}-01`, previousPeriod(c.period));
    const history = new Map<string, { quantity: number; points: number; occurrences: number }>();
    for (const e of earlier) {
      const k = `${e.residentId}|${e.itemCode}`;
      const h = history.get(k) ?? { quantity: 0, points: 0, occurrences: 0 };
      h.quantity += e.quantity ?? 0;
      h.points += Math.abs(e.points);
      h.occurrences += 1;
      history.set(k, h);
    }
    const groups = new Map<string, PeriodEntry[]>();
    for (const e of standing) {
      const k = `${e.residentId}|${e.itemCode}`;
      groups.set(k, [...(groups.get(k) ?? []), e]);
    }
    const out: Array<{ entryId: string; points: number; explanation: Explanation }> = [];
    for (const [k, group] of groups) {
      const item = group[0];
      const scores = evaluatePeriod(
        { code: item.itemCode, sign: item.sign, rule: item.rule, caps: item.caps ?? undefined },
        history.get(k) ?? { quantity: 0, points: 0, occurrences: 0 },
        group.map((e) => ({ id: e.id, occurredOn: e.occurredOn, quantity: e.quantity, chosenPoints: e.chosenPoints })),
      );
      for (const s of scores) out.push({ entryId: s.id, points: s.points, explanation: s.explanation });
    }
    const before = new Map(standing.map((e) => [e.id, e]));
    const changed = out.filter((o) => {
      const e = before.get(o.entryId);
      return !e || e.finalPoints !== o.points || stableJson(e.finalExplanation) !== stableJson(o.explanation);
    });
    await this.entryStates.recordAssessments(m, c.townId, changed);
  }
}

/** JSON with object keys sorted: jsonb hands keys back in its own order. */
function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x,
  );
}
