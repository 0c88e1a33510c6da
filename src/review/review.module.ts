import { Module } from '@nestjs/common';
import { BoardModule } from '@app/board/board.module';
import { EntriesModule } from '@app/scoring/entries.module';
import { LedgerModule } from '@app/ledger/ledger.module';
import { NoticesModule } from '@app/notices/notices.module';
import { ReviewController } from './review.controller';
import { ReviewRepository } from './review.repository';
import { ReviewService } from './review.service';

@Module({
  imports: [EntriesModule, LedgerModule, BoardModule, NoticesModule],
  controllers: [ReviewController],
  providers: [ReviewService, ReviewRepository],
  exports: [ReviewService],
})
export class ReviewModule {}
