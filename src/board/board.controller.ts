import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Ctx, Public, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { ApiErrors } from '@app/common/errors/api-errors';
import { ApiFileResponse, HTML_MEDIA_TYPE } from '@app/common/http/api-file-response';
import { AppConfig } from '@app/config/app-config';
import { BoardPathParams, BoardsOverviewDto, PeriodQuery, PublicBoardDto, PublicTownDto, TownCodeQuery, VillageBoardDto, VillagePathParams } from './board.dto';
import { BoardService } from './board.service';
import { publicBase } from './public-base';
import { sendCacheableJson, sendRendered } from './rendered-body';

@ApiTags('board 公示栏')
@Controller('public')
export class PublicBoardController {
  constructor(
    private readonly boards: BoardService,
    private readonly config: AppConfig,
  ) {}

  // Declared before the JSON route: `:period` alone would also match '2026-03.html'.
  @Get('boards/:villageId/:period.html')
  @Public()
  @ApiFileResponse('可打印的公示栏（A4 HTML）', HTML_MEDIA_TYPE)
  @ApiErrors('BOARD.NOT_FOUND', 'BOARD.VILLAGE_CODE_AMBIGUOUS')
  @ApiOperation({ summary: '公示栏打印页（A4，无需登录；仅显示脱敏姓名）；村可用 ID 或村编号，如 /public/boards/DC/2026-11.html' })
  async html(@Param() p: BoardPathParams, @Query() q: TownCodeQuery, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    await sendRendered(req, res, await this.boards.boardHtmlBody(p.villageId, p.period, q.town, publicBase(req, this.config.get('PUBLIC_BASE_URL'))), 'text/html; charset=utf-8');
  }

  @Get('boards/:villageId/:period')
  @Public()
  @ApiOkResponse({ type: PublicBoardDto })
  @ApiErrors('BOARD.NOT_FOUND', 'BOARD.VILLAGE_CODE_AMBIGUOUS')
  @ApiOperation({ summary: '公示栏（JSON，无需登录）：逐人逐条积分、异议状态、合计、红黑榜、入账核验码；村可用 ID 或村编号，如 /public/boards/DC/2026-11' })
  async board(@Param() p: BoardPathParams, @Query() q: TownCodeQuery, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    await sendRendered(req, res, await this.boards.boardJsonBody(p.villageId, p.period, q.town, publicBase(req, this.config.get('PUBLIC_BASE_URL'))), 'application/json; charset=utf-8');
  }

  @Get('villages/:villageId/boards')
  @Public()
  @ApiOkResponse({ type: [VillageBoardDto] })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'BOARD.VILLAGE_CODE_AMBIGUOUS')
  @ApiOperation({ summary: '本村历期公示栏（无需登录）；村可用 ID 或村编号' })
  async villageBoards(@Param() p: VillagePathParams, @Query() q: TownCodeQuery, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const boards: VillageBoardDto[] = await this.boards.villageBoards(p.villageId, q.town);
    await sendCacheableJson(req, res, boards);
  }

  @Get('villages')
  @Public()
  @ApiOkResponse({ type: [PublicTownDto] })
  @ApiOperation({ summary: '公开的村列表（无需登录）：镇、各村及其已公示的公示栏地址（按村编号）' })
  async villages(@Query() q: TownCodeQuery, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const towns: PublicTownDto[] = await this.boards.publicVillages(q.town);
    await sendCacheableJson(req, res, towns);
  }
}

@ApiTags('board 公示栏')
@Controller('towns/current')
export class TownBoardsController {
  constructor(private readonly boards: BoardService) {}

  @Get('boards-overview')
  @Roles('town_admin', 'auditor')
  @ApiOkResponse({ type: BoardsOverviewDto })
  @ApiOperation({ summary: '本镇各村某期评议进度：状态、是否公示/入账、逾期标记、未答复与逾期异议数' })
  overview(@Ctx() ctx: RequestContext, @Query() q: PeriodQuery): Promise<BoardsOverviewDto> {
    return this.boards.townOverview(ctx, q.period);
  }
}
