import { Module } from '@nestjs/common';
import { BoardModule } from '@app/board/board.module';
import { CreditExportModule } from '@app/credit-export/credit-export.module';
import { PublicPagesController } from '@app/board/public-pages.controller';
import { EntriesModule } from '@app/entries/entries.module';
import { LedgerModule } from '@app/ledger/ledger.module';
import { NoticesModule } from '@app/notices/notices.module';
import { ReviewController } from './review.controller';
import { CycleAssessment } from './cycle-assessment.service';
import { CycleCloseService } from './cycle-close.service';
import { FinalizeService } from './finalize.service';
import { ObjectionsService } from './objections.service';
import { PublishService } from './publish.service';
import { ReconcileService } from './reconcile.service';
import { ReviewRepository } from './review.repository';
import { ReviewSheetService } from './review-sheet.service';

@Module({
  imports: [EntriesModule, LedgerModule, BoardModule, NoticesModule, CreditExportModule],
  // The public objection page files through ObjectionsService; it lives with the board's pages (src/board).
  controllers: [ReviewController, PublicPagesController],
  // One service per stage of the cycle (docs/ARCHITECTURE.md, the review cycle).
  providers: [CycleAssessment, CycleCloseService, ReviewSheetService, PublishService, ObjectionsService, FinalizeService, ReconcileService, ReviewRepository],
  exports: [CycleCloseService, ReviewSheetService, PublishService, ObjectionsService, FinalizeService, ReconcileService],
})
export class ReviewModule {}
