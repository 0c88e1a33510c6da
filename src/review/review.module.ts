import { Module } from '@nestjs/common';
import { BoardModule } from '@app/board/board.module';
import { CreditExportModule } from '@app/credit-export/credit-export.module';
import { PublicPagesController } from '@app/board/public-pages.controller';
import { EntriesModule } from '@app/scoring/entries.module';
import { LedgerModule } from '@app/ledger/ledger.module';
import { NoticesModule } from '@app/notices/notices.module';
import { ReviewController } from './review.controller';
import { ReviewRepository } from './review.repository';
import { ReviewService } from './review.service';

@Module({
  imports: [EntriesModule, LedgerModule, BoardModule, NoticesModule, CreditExportModule],
  // The public objection page files through ReviewService; it lives with the board's pages (src/board).
  controllers: [ReviewController, PublicPagesController],
  providers: [ReviewService, ReviewRepository],
  exports: [ReviewService],
})
export class ReviewModule {}
