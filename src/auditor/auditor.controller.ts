import { Controller, Get, Param, Query, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { ApiErrors } from '@app/common/errors/api-errors';
import { ApiFileResponse } from '@app/common/http/api-file-response';
import { StatementDto, StatementPageQuery } from '@app/ledger/ledger.dto';
import {
  AuditVerifyDto,
  CheckpointListDto,
  CheckpointListQuery,
  PostingFilterQuery,
  PostingPageDto,
  PostingSearchQuery,
  ResidentIdParams,
  TimelinessDto,
  TimelinessExportQuery,
  TimelinessQuery,
} from './auditor.dto';
import { AuditorService } from './auditor.service';
import { timelinessCsv, timelinessXlsx } from './timeliness-export';

const CSV_TYPE = 'text/csv; charset=utf-8';
const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** 审计查询: auditors (and the town admin) of the login's town, read-only. */
@ApiTags('audit 审计查询')
@Controller('audit')
export class AuditorController {
  constructor(private readonly auditor: AuditorService) {}

  @Get('postings')
  @Roles('auditor', 'town_admin')
  @ApiOkResponse({ type: PostingPageDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'RESIDENT.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  @ApiOperation({ summary: '记账明细查询（村民、村、事项、类型、期间、记账时间；按记账时间倒序，游标分页，每页最多 500 条）' })
  postings(@Ctx() ctx: RequestContext, @Query() q: PostingSearchQuery): Promise<PostingPageDto> {
    return this.auditor.searchPostings(ctx, q);
  }

  @Get('postings.csv')
  @Roles('auditor', 'town_admin')
  @ApiFileResponse('记账明细 CSV', 'text/csv')
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'RESIDENT.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  @ApiOperation({ summary: '导出记账明细 CSV（UTF-8 BOM，中文表头，流式输出，不限条数）' })
  async postingsCsv(@Ctx() ctx: RequestContext, @Query() q: PostingFilterQuery): Promise<StreamableFile> {
    return new StreamableFile(await this.auditor.exportPostings(ctx, q, 'csv'), { type: CSV_TYPE, disposition: 'attachment; filename="postings.csv"' });
  }

  @Get('postings.xlsx')
  @Roles('auditor', 'town_admin')
  @ApiFileResponse('记账明细 Excel', XLSX_TYPE)
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'RESIDENT.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  @ApiOperation({ summary: '导出记账明细 Excel（流式输出，不限条数）' })
  async postingsXlsx(@Ctx() ctx: RequestContext, @Query() q: PostingFilterQuery): Promise<StreamableFile> {
    return new StreamableFile(await this.auditor.exportPostings(ctx, q, 'xlsx'), { type: XLSX_TYPE, disposition: 'attachment; filename="postings.xlsx"' });
  }

  @Get('residents/:residentId/statement')
  @Roles('auditor', 'town_admin')
  @ApiOkResponse({ type: StatementDto })
  @ApiErrors('LEDGER.ACCOUNT_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  @ApiOperation({ summary: '村民对账单（与账本对账单相同）' })
  statement(@Ctx() ctx: RequestContext, @Param() p: ResidentIdParams, @Query() q: StatementPageQuery): Promise<StatementDto> {
    return this.auditor.statement(ctx, p.residentId, q);
  }

  @Get('timeliness')
  @Roles('auditor', 'town_admin')
  @ApiOkResponse({ type: TimelinessDto })
  @ApiOperation({ summary: '各村某期评议时效：关账、评议、公示、入账时间，逾期答复与逾期未答复的异议，信用平台上报失败' })
  timeliness(@Ctx() ctx: RequestContext, @Query() q: TimelinessQuery): Promise<TimelinessDto> {
    return this.auditor.timeliness(ctx, q.period);
  }

  @Get('timeliness.csv')
  @Roles('auditor', 'town_admin')
  @ApiFileResponse('评议时效 CSV（每村每月一行）', 'text/csv')
  @ApiOperation({ summary: '导出评议时效 CSV：from 至 to 各月、各村（与页面相同的截止时间与逾期标记；最多 24 个月）' })
  async timelinessCsv(@Ctx() ctx: RequestContext, @Query() q: TimelinessExportQuery): Promise<StreamableFile> {
    const months = await this.auditor.timelinessMonths(ctx, q);
    return new StreamableFile(timelinessCsv(months), { type: CSV_TYPE, disposition: `attachment; filename="timeliness-${q.from}.csv"` });
  }

  @Get('timeliness.xlsx')
  @Roles('auditor', 'town_admin')
  @ApiFileResponse('评议时效 Excel（每村每月一行）', XLSX_TYPE)
  @ApiOperation({ summary: '导出评议时效 Excel：from 至 to 各月、各村（最多 24 个月）' })
  async timelinessXlsx(@Ctx() ctx: RequestContext, @Query() q: TimelinessExportQuery): Promise<StreamableFile> {
    const months = await this.auditor.timelinessMonths(ctx, q);
    return new StreamableFile(await timelinessXlsx(months), { type: XLSX_TYPE, disposition: `attachment; filename="timeliness-${q.from}.xlsx"` });
  }

  @Get('checkpoints')
  @Roles('auditor', 'town_admin')
  @ApiOkResponse({ type: CheckpointListDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  @ApiOperation({ summary: '各村各期入账核验码：哈希、覆盖账户数、生成时间、公示栏链接' })
  checkpoints(@Ctx() ctx: RequestContext, @Query() q: CheckpointListQuery): Promise<CheckpointListDto> {
    return this.auditor.checkpoints(ctx, q);
  }

  @Get('verify')
  @Roles('auditor', 'town_admin')
  @ApiOkResponse({ type: AuditVerifyDto })
  @ApiOperation({ summary: '即时校验本镇账本（各账户哈希链与余额）及各期入账核验码，报告第一个断点（账户、村民、序号、应为与实际）' })
  verify(@Ctx() ctx: RequestContext): Promise<AuditVerifyDto> {
    return this.auditor.verify(ctx);
  }
}
