import { Body, Controller, Get, HttpCode, Param, Post, Query, StreamableFile } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { ApiErrors } from '@app/common/errors/api-errors';
import { ApiFileResponse, CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE } from '@app/common/http/api-file-response';
import {
  CheckpointProofDto,
  CorrectionDto,
  CreateCorrectionDto,
  CreateOpeningBalancesDto,
  OpeningBalancesResultDto,
  ProofQuery,
  ResidentParams,
  StatementDto,
  StatementPageQuery,
  StatementQuery,
  VerificationReportDto,
  YearEndEnqueuedDto,
  YearEndRequestDto,
} from './ledger.dto';
import { CheckpointProofService } from './checkpoint-proof.service';
import { LedgerVerifier } from './ledger-verifier';
import { CorrectionsService } from './corrections.service';
import { YearEndService } from './year-end.service';
import { StatementService } from './statement.service';

@ApiTags('ledger 积分账本')
@Controller('ledger')
export class LedgerController {
  constructor(
    private readonly corrections: CorrectionsService,
    private readonly yearEnds: YearEndService,
    private readonly verifier: LedgerVerifier,
    private readonly proofs: CheckpointProofService,
  ) {}

  @Post('corrections')
  @Roles('town_admin', 'village_reviewer')
  @ApiOperation({ summary: '更正已记账的积分事项（冲正或调整分值），记录理由' })
  @ApiCreatedResponse({ type: CorrectionDto })
  @ApiErrors('LEDGER.POSTING_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'LEDGER.NOT_CORRECTABLE', 'LEDGER.ALREADY_REVERSED', 'LEDGER.INSUFFICIENT_POINTS', 'LEDGER.SOURCE_CONFLICT')
  correct(@Ctx() ctx: RequestContext, @Body() dto: CreateCorrectionDto): Promise<CorrectionDto> {
    return this.corrections.correct(ctx, dto);
  }

  @Post('opening-balances')
  @Roles('town_admin')
  @ApiOperation({ summary: '录入期初余额（每位村民一次，全部成功或全部不保存）' })
  @ApiCreatedResponse({ type: OpeningBalancesResultDto })
  @ApiErrors('LEDGER.DUPLICATE_LINES', 'LEDGER.ACCOUNT_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'LEDGER.OPENING_BALANCE_EXISTS', 'LEDGER.SOURCE_CONFLICT')
  openingBalances(@Ctx() ctx: RequestContext, @Body() dto: CreateOpeningBalancesDto): Promise<OpeningBalancesResultDto> {
    return this.corrections.recordOpeningBalances(ctx, dto);
  }

  @Post('year-end')
  @HttpCode(202)
  @Roles('town_admin')
  @ApiOperation({ summary: '结束评定年度（归档信用分与等级、重置信用分、按镇设置清零余额）' })
  @ApiAcceptedResponse({ type: YearEndEnqueuedDto })
  @ApiErrors('LEDGER.YEAR_NOT_ENDED')
  yearEnd(@Ctx() ctx: RequestContext, @Body() dto: YearEndRequestDto): Promise<YearEndEnqueuedDto> {
    return this.yearEnds.requestYearEnd(ctx, dto.year);
  }

  @Get('verify')
  @Roles('auditor', 'town_admin')
  @ApiOperation({ summary: '校验本镇全部账户的哈希链与余额' })
  @ApiOkResponse({ type: VerificationReportDto })
  @ApiErrors('ORG.TOWN_NOT_FOUND')
  verify(@Ctx() ctx: RequestContext): Promise<VerificationReportDto> {
    return this.verifier.verifyTown(ctx.principal.townId);
  }

  @Get('proofs/:residentId')
  @Roles('auditor', 'town_admin', 'village_clerk', 'village_reviewer')
  @ApiOperation({
    summary: '记录核验：村民账户链头在该村某期入账核验码（默克尔树根）中的包含证明；链头按账本现有记录重算，记录被改动则核验失败（docs/LEDGER.md）',
  })
  @ApiOkResponse({ type: CheckpointProofDto })
  @ApiErrors('LEDGER.ACCOUNT_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'LEDGER.CHECKPOINT_NOT_FOUND', 'LEDGER.CHECKPOINT_WITHOUT_PROOFS', 'LEDGER.NOT_IN_CHECKPOINT')
  proof(@Ctx() ctx: RequestContext, @Param() params: ResidentParams, @Query() query: ProofQuery): Promise<CheckpointProofDto> {
    return this.proofs.proofForStaff(ctx, params.residentId, query.period);
  }
}

@ApiTags('ledger 积分账本')
@Controller('residents')
export class StatementController {
  constructor(private readonly statements: StatementService) {}

  @Get(':residentId/statement')
  @Roles('town_admin', 'auditor', 'village_clerk', 'village_reviewer')
  @ApiOperation({ summary: '村民积分对账单：逐笔记账、累计余额与信用分；积分事项附发生日期、计分规则、本次计分说明、理由、证据、评议结论与期间，兑换附小票号与超市' })
  @ApiOkResponse({ type: StatementDto })
  @ApiErrors('LEDGER.ACCOUNT_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  statement(@Ctx() ctx: RequestContext, @Param() params: ResidentParams, @Query() query: StatementPageQuery): Promise<StatementDto> {
    return this.statements.statement(ctx, params.residentId, query);
  }

  @Get(':residentId/statement.csv')
  @Roles('town_admin', 'auditor', 'village_clerk', 'village_reviewer')
  @ApiOperation({ summary: '对账单导出 CSV' })
  @ApiFileResponse('对账单 CSV（UTF-8）', CSV_MEDIA_TYPE)
  @ApiErrors('LEDGER.ACCOUNT_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  async statementCsv(@Ctx() ctx: RequestContext, @Param() params: ResidentParams, @Query() query: StatementQuery): Promise<StreamableFile> {
    const s = await this.statements.statement(ctx, params.residentId, query);
    return new StreamableFile(this.statements.toCsv(s), {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="statement-${params.residentId}.csv"`,
    });
  }

  @Get(':residentId/statement.xlsx')
  @Roles('town_admin', 'auditor', 'village_clerk', 'village_reviewer')
  @ApiOperation({ summary: '对账单导出 Excel (.xlsx)' })
  @ApiFileResponse('对账单 Excel', XLSX_MEDIA_TYPE)
  @ApiErrors('LEDGER.ACCOUNT_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  async statementXlsx(@Ctx() ctx: RequestContext, @Param() params: ResidentParams, @Query() query: StatementQuery): Promise<StreamableFile> {
    const s = await this.statements.statement(ctx, params.residentId, query);
    return new StreamableFile(this.statements.toXlsxStream(s), {
      type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      disposition: `attachment; filename="statement-${params.residentId}.xlsx"`,
    });
  }
}
