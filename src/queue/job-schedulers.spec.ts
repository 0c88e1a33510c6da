import { describe, expect, it } from 'vitest';
import { wantedSchedulers } from './job-schedulers.service';
import { SCHEDULES } from './jobs';

describe('wantedSchedulers', () => {
  it('puts each schedule on its job’s queue, cron with its time zone, the rest every n ms', () => {
    expect(wantedSchedulers()).toEqual([
      { id: 'cycle-close-daily', job: 'cycle.close_due', queue: 'cycle', repeat: { pattern: '10 0 * * *', tz: 'Asia/Shanghai' } },
      { id: 'cycle-reconcile', job: 'cycle.reconcile', queue: 'system', repeat: { every: 300_000 } },
      { id: 'credit-export-every-10m', job: 'credit.export', queue: 'credit-export', repeat: { every: 600_000 } },
      { id: 'notices-deliver-every-1m', job: 'notices.deliver', queue: 'notices', repeat: { every: 60_000 } },
      { id: 'fold-totals-hourly', job: 'system.fold_totals', queue: 'system', repeat: { every: 3_600_000 } },
    ]);
  });

  it('follows the schedule table: one scheduler per entry, none other', () => {
    expect(wantedSchedulers().map((s) => s.id).sort()).toEqual(Object.values(SCHEDULES).map((s) => s.id).sort());
  });
});
