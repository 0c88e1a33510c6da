import { Module } from '@nestjs/common';
import { EntriesModule } from '@app/scoring/entries.module';
import { LedgerModule } from '@app/ledger/ledger.module';
import { ReviewController } from './review.controller';
import { ReviewRepository } from './review.repository';
import { ReviewService } from './review.service';

@Module({
  imports: [EntriesModule, LedgerModule],
  controllers: [ReviewController],
  providers: [ReviewService, ReviewRepository],
  exports: [ReviewService],
})
export class ReviewModule {}
