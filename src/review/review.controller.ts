import { Body, Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import { Ctx, Public, PublicCtx, Roles } from '@app/auth/auth.decorators';
import type { PublicContext, RequestContext } from '@app/auth/principal';
import { ApiErrors } from '@app/common/errors/api-errors';
import { VillageIdParam } from '@app/entries/entries.dto';
import {
  AnswerDto,
  BoardParams,
  CycleDto,
  CycleListDto,
  CycleParams,
  DecisionsDto,
  DecisionsResultDto,
  MeetingDto,
  ObjectionDto,
  ObjectionFiledDto,
  ObjectionIdParam,
  ObjectionQuery,
  ObjectionRecordDto,
  ReasonDto,
  ReviewSheetDto,
} from './review.dto';
import { CycleCloseService } from './cycle-close.service';
import { ObjectionsService } from './objections.service';
import { PublishService } from './publish.service';
import { ReviewSheetService } from './review-sheet.service';

@ApiTags('review 月度评议与公示')
@Controller()
export class ReviewController {
  constructor(
    private readonly closing: CycleCloseService,
    private readonly sheets: ReviewSheetService,
    private readonly publishing: PublishService,
    private readonly objectionsService: ObjectionsService,
  ) {}

  @Get('villages/:villageId/cycles')
  @Roles('village_clerk', 'village_reviewer', 'town_admin', 'auditor')
  @ApiOperation({ summary: '本村的评议周期列表：期间、状态、计划关账时间、异议期截止；开放的在前' })
  @ApiOkResponse({ type: CycleListDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  cycles(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam): Promise<CycleListDto> {
    return this.sheets.listCycles(ctx, p.villageId);
  }

  @Get('villages/:villageId/cycles/:period')
  @Roles('village_clerk', 'village_reviewer', 'town_admin', 'auditor')
  @ApiOperation({ summary: '评议表：周期状态、各状态条数、会议记录、逐条记录（含关账评定分值、疑似重复、异议）' })
  @ApiOkResponse({ type: ReviewSheetDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'CYCLE.NOT_FOUND')
  sheet(@Ctx() ctx: RequestContext, @Param() p: CycleParams): Promise<ReviewSheetDto> {
    return this.sheets.sheet(ctx, p.villageId, p.period);
  }

  @Post('villages/:villageId/cycles/:period/close')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiOperation({ summary: '关账（镇管理员可提前关闭）：按全期规则评定分值，编制评议表' })
  @ApiOkResponse({ type: CycleDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'CYCLE.PERIOD_NOT_ENDED', 'CYCLE.WRONG_STATE')
  close(@Ctx() ctx: RequestContext, @Param() p: CycleParams): Promise<CycleDto> {
    return this.closing.closeByAdmin(ctx, p.villageId, p.period);
  }

  @Post('villages/:villageId/cycles/:period/reopen')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiOperation({ summary: '重开已关账、未公示的周期（须说明原因）' })
  @ApiOkResponse({ type: CycleDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'CYCLE.NOT_FOUND', 'CYCLE.WRONG_STATE')
  reopen(@Ctx() ctx: RequestContext, @Param() p: CycleParams, @Body() dto: ReasonDto): Promise<CycleDto> {
    return this.closing.reopen(ctx, p.villageId, p.period, dto.reason);
  }

  @Post('villages/:villageId/cycles/:period/meeting')
  @HttpCode(200)
  @Roles('village_reviewer')
  @ApiOperation({ summary: '记录议事会会议（日期、参会人、纪要）' })
  @ApiOkResponse({ type: CycleDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'CYCLE.NOT_FOUND', 'CYCLE.WRONG_STATE')
  meeting(@Ctx() ctx: RequestContext, @Param() p: CycleParams, @Body() dto: MeetingDto): Promise<CycleDto> {
    return this.sheets.recordMeeting(ctx, p.villageId, p.period, dto);
  }

  @Post('villages/:villageId/cycles/:period/decisions')
  @HttpCode(200)
  @Roles('village_reviewer')
  @ApiOperation({ summary: '逐条通过/不通过（可批量；不通过须说明理由；全部决定且有会议记录后进入“已评议”）' })
  @ApiOkResponse({ type: DecisionsResultDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'CYCLE.NOT_FOUND', 'CYCLE.WRONG_STATE', 'REVIEW.REASON_REQUIRED', 'REVIEW.ENTRY_NOT_IN_CYCLE')
  decide(@Ctx() ctx: RequestContext, @Param() p: CycleParams, @Body() dto: DecisionsDto): Promise<DecisionsResultDto> {
    return this.sheets.decide(ctx, p.villageId, p.period, dto.decisions);
  }

  @Post('villages/:villageId/cycles/:period/publish')
  @HttpCode(200)
  @Roles('village_reviewer')
  @ApiOperation({ summary: '公示：公示栏内容固定，异议期开始，期满自动入账' })
  @ApiOkResponse({ type: CycleDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'CYCLE.NOT_FOUND', 'CYCLE.WRONG_STATE', 'CYCLE.UNDECIDED_ENTRIES', 'CYCLE.NO_MEETING')
  publish(@Ctx() ctx: RequestContext, @Param() p: CycleParams): Promise<CycleDto> {
    return this.publishing.publish(ctx, p.villageId, p.period);
  }

  @Post('public/boards/:villageId/:period/objections')
  @Public()
  @UseGuards(ThrottlerGuard)
  @SkipThrottle({ login: true })
  @ApiOperation({ summary: '对公示栏上的记录提出异议（无需登录；按来源限流）' })
  @ApiCreatedResponse({ type: ObjectionFiledDto })
  @ApiErrors('BOARD.NOT_FOUND', 'OBJECTION.WINDOW_CLOSED', 'OBJECTION.ENTRY_NOT_ON_BOARD', 'RATE.LIMITED')
  object(@PublicCtx() pub: PublicContext, @Param() p: BoardParams, @Body() dto: ObjectionDto): Promise<ObjectionFiledDto> {
    return this.objectionsService.fileObjection(pub, p.villageId, p.period, dto);
  }

  @Post('objections/:id/answer')
  @HttpCode(200)
  @Roles('village_reviewer')
  @ApiOperation({ summary: '答复异议：成立（记录撤销）或不成立（记录照常入账），须书面说明' })
  @ApiOkResponse({ type: ObjectionRecordDto })
  @ApiErrors('OBJECTION.NOT_FOUND', 'ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'OBJECTION.ALREADY_ANSWERED')
  answer(@Ctx() ctx: RequestContext, @Param() p: ObjectionIdParam, @Body() dto: AnswerDto): Promise<ObjectionRecordDto> {
    return this.objectionsService.answerObjection(ctx, p.id, dto);
  }

  @Get('objections')
  @Roles('town_admin', 'auditor', 'village_reviewer')
  @ApiOperation({ summary: '异议列表（可只看未答复或逾期未答复的）' })
  @ApiOkResponse({ type: [ObjectionRecordDto] })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  objections(@Ctx() ctx: RequestContext, @Query() q: ObjectionQuery): Promise<ObjectionRecordDto[]> {
    return this.objectionsService.listObjections(ctx, q);
  }
}
