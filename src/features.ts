import { AuditModule } from '@app/audit/audit.module';
import { AuthModule } from '@app/auth/auth.module';
import { AuditorModule } from '@app/auditor/auditor.module';
import { BoardModule } from '@app/board/board.module';
import { CatalogModule } from '@app/catalog/catalog.module';
import { CreditExportModule } from '@app/credit-export/credit-export.module';
import { HealthModule } from '@app/health/health.module';
import { LedgerModule } from '@app/ledger/ledger.module';
import { NoticesModule } from '@app/notices/notices.module';
import { OrgModule } from '@app/org/org.module';
import { ResidentModule } from '@app/resident/resident.module';
import { ReviewModule } from '@app/review/review.module';
import { EntriesModule } from '@app/entries/entries.module';
import { ShopModule } from '@app/shop/shop.module';
import { SystemModule } from '@app/system/system.module';

/** Feature modules, the same in the api and the worker (the worker adds JobWorkerService). */
export const FEATURE_MODULES = [
  HealthModule,
  AuditModule,
  AuthModule,
  SystemModule,
  OrgModule,
  CatalogModule,
  EntriesModule,
  LedgerModule,
  ReviewModule,
  ShopModule,
  CreditExportModule,
  NoticesModule,
  BoardModule,
  AuditorModule,
  ResidentModule,
];
