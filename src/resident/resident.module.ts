import { Module } from '@nestjs/common';
import { BoardModule } from '@app/board/board.module';
import { LedgerModule } from '@app/ledger/ledger.module';
import { ResidentAccessController, ResidentPageController } from './resident.controller';
import { ResidentAccessService } from './resident-access.service';
import { ResidentPageRepository } from './resident.repository';
import { ResidentPageService } from './resident-page.service';
import { ResidentLimits } from './resident-limits';
import { ResidentTokenGuard } from './resident-token.guard';

/** Residents' access tokens and card sheets (staff), and the api of the resident's phone page (token). */
@Module({
  imports: [LedgerModule, BoardModule],
  controllers: [ResidentAccessController, ResidentPageController],
  providers: [ResidentLimits, ResidentAccessService, ResidentPageService, ResidentPageRepository, ResidentTokenGuard],
})
export class ResidentModule {}
