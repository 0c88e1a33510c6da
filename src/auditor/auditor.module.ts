import { Module } from '@nestjs/common';
import { CreditExportModule } from '@app/credit-export/credit-export.module';
import { LedgerModule } from '@app/ledger/ledger.module';
import { AuditorController } from './auditor.controller';
import { AuditorRepository } from './auditor.repository';
import { AuditorService } from './auditor.service';
import { DashboardController } from './dashboard.controller';
import { DashboardFoldService } from './dashboard-fold.service';
import { DashboardRepository } from './dashboard.repository';
import { DashboardService } from './dashboard.service';

/**
 * The auditors' desk (审计查询): postings search and exports, statements (the audit log search is AuditModule's),
 * review timeliness, verification, the town's dashboard (首页). Read-only, whole town.
 */
@Module({
  imports: [LedgerModule, CreditExportModule],
  controllers: [AuditorController, DashboardController],
  providers: [AuditorService, AuditorRepository, DashboardService, DashboardRepository, DashboardFoldService],
})
export class AuditorModule {}
