import { Module } from '@nestjs/common';
import { LedgerModule } from '@app/ledger/ledger.module';
import { NoticesModule } from '@app/notices/notices.module';
import { GoodsService } from './goods.service';
import { RedemptionBatcher } from './redemption-batcher';
import { RedemptionRepository } from './redemption.repository';
import { RedemptionStatementRepository } from './redemption-statement.repository';
import { RedemptionService } from './redemption.service';
import { ShopController } from './shop.controller';
import { ShopRepository } from './shop.repository';
import { ShopService } from './shop.service';
import { TerminalController } from './terminal.controller';

@Module({
  imports: [LedgerModule, NoticesModule],
  controllers: [ShopController, TerminalController],
  providers: [ShopService, ShopRepository, GoodsService, RedemptionService, RedemptionRepository, RedemptionStatementRepository, RedemptionBatcher],
  exports: [ShopService, RedemptionService],
})
export class ShopModule {}
