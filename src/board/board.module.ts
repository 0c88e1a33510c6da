import { Module } from '@nestjs/common';
import { PublicBoardController, TownBoardsController } from './board.controller';
import { BoardRepository } from './board.repository';
import { BoardCache } from './board-cache';
import { BoardService } from './board.service';

/** The public 公示栏 (JSON and printable A4 page) and the town's boards overview. Read-only. */
@Module({
  controllers: [PublicBoardController, TownBoardsController],
  providers: [BoardService, BoardRepository, BoardCache],
  exports: [BoardService],
})
export class BoardModule {}
