import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res, StreamableFile, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-fastify/multipart';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';

import type { FastifyReply as Response } from 'fastify';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import { ApiErrors } from '@app/common/errors/api-errors';
import { ApiFileResponse, CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE } from '@app/common/http/api-file-response';
import type { UploadedFile as UploadedTable } from '@app/common/tabular/tabular';
import type { RequestContext } from '@app/auth/principal';
import { idempotencyKeyOf } from '@app/common/http/idempotency-key';
import { CreateEntryDto, EntryDto, EntryIdParam, EntryPageDto, EntryPreviewDto, ListEntriesQuery, TemplateQuery, UploadResultDto, VillageIdParam, WithdrawEntryDto } from './entries.dto';
import { EntriesUploadService } from './entries-upload.service';
import { EntriesService } from './entries.service';

@ApiTags('entries 积分记录')
@Controller()
export class EntriesController {
  constructor(
    private readonly entries: EntriesService,
    private readonly uploads: EntriesUploadService,
  ) {}

  @Post('villages/:villageId/entries')
  @Roles('village_clerk')
  @ApiOperation({ summary: '录入一条积分记录：分值由目录规则计算；计入发生月份的期间（该月已关账则计入之后的开放期间，标记为补录）' })
  @ApiCreatedResponse({ type: EntryDto, description: 'the entry' })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'CYCLE.NOT_OPEN', 'CATALOG.NO_VERSION_ADOPTED', 'ENTRY.RESIDENT_NOT_FOUND', 'ENTRY.RESIDENT_NOT_ACTIVE', 'ENTRY.DATE_OUT_OF_WINDOW', 'ENTRY.ITEM_NOT_IN_CATALOG', 'ENTRY.IDEMPOTENCY_CONFLICT', 'ENTRY.QUANTITY_REQUIRED', 'ENTRY.QUANTITY_INVALID', 'ENTRY.QUANTITY_NOT_ALLOWED', 'ENTRY.POINTS_REQUIRED', 'ENTRY.POINTS_NOT_ALLOWED', 'ENTRY.POINTS_OUT_OF_RANGE', 'ENTRY.REASON_REQUIRED', 'ENTRY.RULE_INPUT_INVALID')
  @ApiOkResponse({ type: EntryDto, description: 'a retry with the same idempotency key and body: the original, with header idempotent-replayed: true' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '幂等键（与请求体 idempotencyKey 二选一；都给时须相同）' })
  async create(
    @Ctx() ctx: RequestContext,
    @Param() p: VillageIdParam,
    @Body() dto: CreateEntryDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<EntryDto> {
    const { entry, replayed } = await this.entries.create(ctx, p.villageId, { ...dto, idempotencyKey: idempotencyKeyOf(key, dto.idempotencyKey, { required: false }) });
    if (replayed) res.code(200).header('idempotent-replayed', 'true');
    return entry;
  }

  @Post('villages/:villageId/entries/preview')
  @HttpCode(200)
  @Roles('village_clerk')
  @ApiOperation({ summary: '录入前试算：与录入相同的请求体与校验，按目录规则计算分值与说明、计入的期间与是否补录；不保存任何内容' })
  @ApiOkResponse({ type: EntryPreviewDto, description: '将计入的期间、是否补录、分值与中文计分说明' })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'CYCLE.NOT_OPEN', 'CATALOG.NO_VERSION_ADOPTED', 'ENTRY.RESIDENT_NOT_FOUND', 'ENTRY.RESIDENT_NOT_ACTIVE', 'ENTRY.DATE_OUT_OF_WINDOW', 'ENTRY.ITEM_NOT_IN_CATALOG', 'ENTRY.QUANTITY_REQUIRED', 'ENTRY.QUANTITY_INVALID', 'ENTRY.QUANTITY_NOT_ALLOWED', 'ENTRY.POINTS_REQUIRED', 'ENTRY.POINTS_NOT_ALLOWED', 'ENTRY.POINTS_OUT_OF_RANGE', 'ENTRY.REASON_REQUIRED', 'ENTRY.RULE_INPUT_INVALID')
  preview(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @Body() dto: CreateEntryDto): Promise<EntryPreviewDto> {
    return this.entries.preview(ctx, p.villageId, dto);
  }

  @Get('villages/:villageId/entries')
  @Roles('village_clerk', 'village_reviewer', 'town_admin', 'auditor')
  @ApiOperation({ summary: '本村某期间的积分记录（period 指定期间，默认本月开放期间；openPeriods 列出所有开放期间），附计分说明与补录标记' })
  @ApiOkResponse({ type: EntryPageDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  list(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @Query() q: ListEntriesQuery): Promise<EntryPageDto> {
    return this.entries.list(ctx, p.villageId, q);
  }

  // Before entries/:id, so 'template' is not taken for an id.
  @Get('entries/template')
  @Roles('village_clerk', 'village_reviewer', 'town_admin')
  @ApiOperation({ summary: '下载批量导入模板：中文表头、示例行、“说明”表、现行“事项目录”表，事项列带下拉选项' })
  @ApiFileResponse('导入模板（format=csv 时为 CSV，否则 .xlsx）', CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE)
  async template(@Ctx() ctx: RequestContext, @Query() q: TemplateQuery, @Res() res: Response): Promise<void> {
    const format = q.format ?? 'xlsx';
    const body = await this.uploads.template(ctx, format, q.villageId);
    await res
      .code(200)
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : XLSX_MEDIA_TYPE)
      .header('content-disposition', `attachment; filename="entries-template.${format}"`)
      .send(body);
  }

  @Get('entries/:id')
  @Roles('village_clerk', 'village_reviewer', 'town_admin', 'auditor')
  @ApiOperation({ summary: '一条积分记录' })
  @ApiOkResponse({ type: EntryDto })
  @ApiErrors('ENTRY.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  get(@Ctx() ctx: RequestContext, @Param() p: EntryIdParam): Promise<EntryDto> {
    return this.entries.get(ctx, p.id);
  }

  @Post('entries/:id/withdraw')
  @HttpCode(200)
  @Roles('village_clerk')
  @ApiOperation({ summary: '撤回一条记录（仅在期间开放、尚未评议时；追加事件，不删除）' })
  @ApiOkResponse({ type: EntryDto })
  @ApiErrors('ENTRY.NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'CYCLE.NOT_OPEN', 'ENTRY.NOT_WITHDRAWABLE')
  withdraw(@Ctx() ctx: RequestContext, @Param() p: EntryIdParam, @Body() dto: WithdrawEntryDto): Promise<EntryDto> {
    return this.entries.withdraw(ctx, p.id, dto.reason);
  }

  @Post('villages/:villageId/entries/upload')
  @Roles('village_clerk')
  @UseInterceptors(FileInterceptor('file'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary', description: 'CSV 或 .xlsx（模板见 /entries/template）' } } } })
  @ApiOperation({ summary: '批量导入本月积分记录（CSV/Excel）：全部成功或全部不导入，错误逐行列出；同一文件不能重复导入' })
  @ApiCreatedResponse({ type: UploadResultDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'ENTRY.UPLOAD_INVALID', 'ENTRY.DUPLICATE_BATCH', 'CYCLE.NOT_OPEN', 'CATALOG.NO_VERSION_ADOPTED')
  upload(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @UploadedFile() file: UploadedTable | undefined): Promise<UploadResultDto> {
    return this.uploads.upload(ctx, p.villageId, file);
  }

  /**
   * Stateless: the console posts the same file again and gets it back annotated; nothing is kept
   * on the server between the failed upload and the download.
   */
  @Post('villages/:villageId/entries/upload/error-report')
  @HttpCode(200)
  @Roles('village_clerk')
  @UseInterceptors(FileInterceptor('file'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', properties: { file: { type: 'string', format: 'binary', description: '与上传时相同的文件' } } } })
  @ApiOperation({ summary: '错误报告：按上传的同样检查，返回带“错误说明”列的 .xlsx（原行号不变，错误单元格标红），不导入任何记录；改正后可直接重新上传' })
  @ApiProduces(XLSX_MEDIA_TYPE)
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'ENTRY.UPLOAD_INVALID', 'CATALOG.NO_VERSION_ADOPTED')
  @ApiOkResponse({
    description: '带错误说明的工作簿；响应头 x-upload-errors / x-upload-warnings 为错误数与提示数',
    schema: { type: 'string', format: 'binary' },
    headers: { 'x-upload-errors': { schema: { type: 'integer' } }, 'x-upload-warnings': { schema: { type: 'integer' } } },
  })
  async errorReport(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @UploadedFile() file: UploadedTable | undefined, @Res({ passthrough: true }) res: Response): Promise<StreamableFile> {
    const report = await this.uploads.errorReport(ctx, p.villageId, file);
    res.header('x-upload-errors', String(report.errors)).header('x-upload-warnings', String(report.warnings));
    return new StreamableFile(report.workbook, {
      type: XLSX_MEDIA_TYPE,
      disposition: 'attachment; filename="entries-error-report.xlsx"',
    });
  }

}
