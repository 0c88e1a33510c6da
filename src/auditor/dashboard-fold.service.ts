import { Injectable, Logger } from '@nestjs/common';
import { JobHandler } from '@app/queue/job-handler.decorator';
import { DashboardRepository } from './dashboard.repository';

/** The hourly fold of the dashboard totals' writer slots (migration DashboardTotalsFold). */
@Injectable()
export class DashboardFoldService {
  private readonly log = new Logger(DashboardFoldService.name);

  constructor(private readonly repo: DashboardRepository) {}

  @JobHandler('system.fold_totals')
  async fold(): Promise<{ folded: number }> {
    const folded = await this.repo.foldTotals();
    if (folded) this.log.log({ folded }, 'dashboard totals: writer slots folded');
    return { folded };
  }
}
