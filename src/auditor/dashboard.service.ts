import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@app/auth/principal';
import { ReadReplica } from '@app/database/read-replica';
import { lateFlags, periodDeadlines } from '@app/board/deadlines';
import { previousPeriod } from '@app/common/time';
import { DEFAULT_GRADE_THRESHOLDS } from '@app/scoring/grade';
import { DASHBOARD_MONTHS, DASHBOARD_TOP_ITEMS, type DashboardDto, type GradeCountDto, type ShopMonthRedemptionsDto, type TopItemDto, type VillageMonthPointsDto } from './dashboard.dto';
import { DashboardRepository, type MonthPostingsRow } from './dashboard.repository';

/** The `count` months up to and including `period`, oldest first. */
export function monthsUpTo(period: string, count: number): string[] {
  const out = [period];
  while (out.length < count) out.unshift(previousPeriod(out[0]));
  return out;
}

/**
 * The town admin's 首页: this period's progress per village (cycle state, entries, late close and
 * publish, objections, export backlog) and the charts' series. The town is the login's, never a
 * parameter. The queries run side by side, each on its own pooled connection, on the standby
 * when there is one.
 */
@Injectable()
export class DashboardService {
  constructor(
    private readonly repo: DashboardRepository,
    private readonly replica: ReadReplica,
  ) {}

  async dashboard(ctx: RequestContext, period: string, now = new Date()): Promise<DashboardDto> {
    const townId = ctx.principal.townId;
    const months = monthsUpTo(period, DASHBOARD_MONTHS);
    const { repo } = this;
    // The read replica when there is one and it has what this user last wrote (ReadReplica): one
    // pick for all seven reads, so they see one state.
    const [settings, cycles, entries, backlog, postings, shops, gradeRows] = await this.replica.read({ who: ctx.principal }, (db) =>
      Promise.all([
        repo.townSettings(townId, db),
        repo.cyclesOfPeriod(townId, period, db),
        repo.entriesOfPeriod(townId, period, db),
        repo.exportBacklog(townId, period, db),
        repo.postingsByMonth(townId, months, db),
        repo.shopNames(townId, db),
        repo.gradeCounts(townId, db),
      ]),
    );

    const perVillage = new Map<string, { entries: number; late: number }>();
    const perItem = new Map<string, TopItemDto>();
    for (const r of entries) {
      const v = perVillage.get(r.villageId) ?? { entries: 0, late: 0 };
      v.entries += r.entries;
      v.late += r.lateEntries;
      perVillage.set(r.villageId, v);
      const it = perItem.get(r.itemCode) ?? { itemCode: r.itemCode, itemName: r.itemName, entries: 0, points: 0 };
      it.entries += r.entries;
      it.points += r.points;
      perItem.set(r.itemCode, it);
    }
    const exportOf = new Map(backlog.filter((b) => b.villageId !== null).map((b) => [b.villageId, b]));
    const townBacklog = backlog.find((b) => b.villageId === null) ?? { pending: 0, failed: 0 };

    const villages = cycles.map((c) => {
      const flags = lateFlags(period, c.cycleId ? c : null, now, settings.closeDay);
      return {
        villageId: c.villageId,
        villageCode: c.villageCode,
        villageName: c.villageName,
        state: c.state,
        entries: perVillage.get(c.villageId)?.entries ?? 0,
        lateEntries: perVillage.get(c.villageId)?.late ?? 0,
        ...flags,
        openObjections: c.openObjections,
        overdueObjections: c.overdueObjections,
        exportPending: exportOf.get(c.villageId)?.pending ?? 0,
        exportFailed: exportOf.get(c.villageId)?.failed ?? 0,
      };
    });

    return {
      period,
      months,
      ...periodDeadlines(period, settings.closeDay),
      totals: {
        villages: villages.length,
        entries: villages.reduce((s, v) => s + v.entries, 0),
        closeLate: villages.filter((v) => v.closeLate).length,
        publishLate: villages.filter((v) => v.publishLate).length,
        openObjections: villages.reduce((s, v) => s + v.openObjections, 0),
        overdueObjections: villages.reduce((s, v) => s + v.overdueObjections, 0),
        exportPending: townBacklog.pending,
        exportFailed: townBacklog.failed,
      },
      villages,
      points: deedPoints(postings),
      topItems: [...perItem.values()].sort((a, b) => b.entries - a.entries || a.itemCode.localeCompare(b.itemCode)).slice(0, DASHBOARD_TOP_ITEMS),
      grades: gradeOrder(gradeRows, (settings.gradeThresholds ?? DEFAULT_GRADE_THRESHOLDS).map((t) => t.grade)),
      redemptions: shopRedemptions(postings, new Map(shops.map((s) => [s.id, s.name]))),
    };
  }
}

function deedPoints(rows: MonthPostingsRow[]): VillageMonthPointsDto[] {
  const out = new Map<string, VillageMonthPointsDto>();
  for (const r of rows) {
    if (r.kind !== 'deed') continue;
    const key = `${r.period}|${r.villageId}`;
    const p = out.get(key) ?? { period: r.period, villageId: r.villageId, added: 0, deducted: 0 };
    p.added += r.added;
    p.deducted += r.deducted;
    out.set(key, p);
  }
  return [...out.values()].sort((a, b) => a.period.localeCompare(b.period) || a.villageId.localeCompare(b.villageId));
}

/** Redemptions less their voids, per shop (the posting's counterparty `shop:<id>`) and month. */
function shopRedemptions(rows: MonthPostingsRow[], names: Map<string, string>): ShopMonthRedemptionsDto[] {
  const out = new Map<string, ShopMonthRedemptionsDto>();
  for (const r of rows) {
    if (r.kind === 'deed' || !r.counterparty.startsWith('shop:')) continue;
    const shopId = r.counterparty.slice('shop:'.length);
    const key = `${r.period}|${shopId}`;
    const s = out.get(key) ?? { period: r.period, shopId, shopName: names.get(shopId) ?? shopId, redemptions: 0, points: 0 };
    if (r.kind === 'redemption') {
      s.redemptions += r.n;
      s.points += r.deducted;
    } else {
      s.redemptions -= r.n;
      s.points -= r.added;
    }
    out.set(key, s);
  }
  return [...out.values()].sort((a, b) => a.period.localeCompare(b.period) || a.shopName.localeCompare(b.shopName));
}

/** The town's grades from the highest down; grades no longer in its table (an older table's) after them. */
function gradeOrder(rows: Array<{ grade: string; residents: number }>, table: string[]): GradeCountDto[] {
  const count = new Map(rows.map((r) => [r.grade, r.residents]));
  const known = table.map((grade) => ({ grade, residents: count.get(grade) ?? 0 }));
  const others = rows.filter((r) => !table.includes(r.grade)).sort((a, b) => a.grade.localeCompare(b.grade));
  return [...known, ...others];
}
