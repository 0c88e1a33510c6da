import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, StreamableFile, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-fastify/multipart';
import { ApiBody, ApiConsumes, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import { ROLES } from '@app/auth/auth.entities';
import type { RequestContext } from '@app/auth/principal';
import { ApiErrors } from '@app/common/errors/api-errors';
import { ApiFileResponse, CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE } from '@app/common/http/api-file-response';
import type { UploadedFile as TableFile } from '@app/common/tabular/tabular';
import { CreateHouseholdDto, CreateVillageDto, HouseholdDetailDto, HouseholdDto, HouseholdIdParam, TownDto, UpdateTownSettingsDto, UpdateVillageBoardDto, VillageDto, VillageIdParam } from './org.dto';
import { ChangeResidentStatusDto, CreateResidentDto, ListResidentsQuery, ResidentDto, ResidentIdParam, ResidentMatchListDto, ResidentPageDto, SearchResidentsQuery } from './resident.dto';
import { RosterImportResultDto, RosterPreviewDto, RosterTemplateQuery } from './roster.dto';
import { OrgService } from './org.service';
import { ResidentService } from './resident.service';
import { RosterService } from './roster.service';

/** Roles that work with residents' records (shop clerks find residents through their terminal). */
const RESIDENT_READERS = ['town_admin', 'village_clerk', 'village_reviewer', 'auditor'] as const;

@ApiTags('org 乡镇与村')
@Controller()
export class OrgController {
  constructor(private readonly org: OrgService) {}

  @Get('towns/current')
  @Roles(...ROLES)
  @ApiOperation({ summary: '本镇信息与设置' })
  @ApiOkResponse({ type: TownDto })
  @ApiErrors('ORG.TOWN_NOT_FOUND')
  currentTown(@Ctx() ctx: RequestContext): Promise<TownDto> {
    return this.org.currentTown(ctx);
  }

  @Patch('towns/current/settings')
  @Roles('town_admin')
  @ApiOperation({ summary: '修改本镇设置（基础分、等级表、公示期、答复时限、节假日、村自设事项限制等）' })
  @ApiOkResponse({ type: TownDto })
  @ApiErrors('ORG.TOWN_NOT_FOUND', 'ORG.INVALID_SETTINGS')
  updateSettings(@Ctx() ctx: RequestContext, @Body() dto: UpdateTownSettingsDto): Promise<TownDto> {
    return this.org.updateSettings(ctx, dto);
  }

  @Post('villages')
  @Roles('town_admin')
  @ApiOperation({ summary: '新建村（社区）' })
  @ApiCreatedResponse({ type: VillageDto })
  @ApiErrors('ORG.VILLAGE_CODE_TAKEN')
  createVillage(@Ctx() ctx: RequestContext, @Body() dto: CreateVillageDto): Promise<VillageDto> {
    return this.org.createVillage(ctx, dto);
  }

  @Get('villages')
  @Roles(...ROLES)
  @ApiOperation({ summary: '本镇的村（村级角色只看到本村）' })
  @ApiOkResponse({ type: [VillageDto] })
  listVillages(@Ctx() ctx: RequestContext): Promise<VillageDto[]> {
    return this.org.listVillages(ctx);
  }

  @Patch('villages/:villageId/board-settings')
  @Roles('town_admin')
  @ApiOperation({ summary: '公示栏上印的发布单位与村联系电话（只改所填字段，null 清除）' })
  @ApiOkResponse({ type: VillageDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'ORG.INVALID_SETTINGS')
  updateVillageBoard(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @Body() dto: UpdateVillageBoardDto): Promise<VillageDto> {
    return this.org.updateVillageBoard(ctx, p.villageId, dto);
  }

  @Post('villages/:villageId/households')
  @Roles('town_admin', 'village_clerk')
  @ApiOperation({ summary: '新建户' })
  @ApiCreatedResponse({ type: HouseholdDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'ORG.HOUSEHOLD_CODE_TAKEN')
  createHousehold(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @Body() dto: CreateHouseholdDto): Promise<HouseholdDto> {
    return this.org.createHousehold(ctx, p.villageId, dto);
  }

  @Get('villages/:villageId/households')
  @Roles(...RESIDENT_READERS)
  @ApiOperation({ summary: '本村的户' })
  @ApiOkResponse({ type: [HouseholdDto] })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  listHouseholds(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam): Promise<HouseholdDto[]> {
    return this.org.listHouseholds(ctx, p.villageId);
  }

  @Get('households/:id')
  @Roles(...RESIDENT_READERS)
  @ApiOperation({ summary: '户详情：成员、各人可用积分与等级（取自积分账户），全户合计' })
  @ApiOkResponse({ type: HouseholdDetailDto })
  @ApiErrors('ORG.HOUSEHOLD_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  household(@Ctx() ctx: RequestContext, @Param() p: HouseholdIdParam): Promise<HouseholdDetailDto> {
    return this.org.getHousehold(ctx, p.id);
  }
}

@ApiTags('residents 村民')
@Controller()
export class ResidentController {
  constructor(private readonly residents: ResidentService) {}

  @Post('villages/:villageId/residents')
  @Roles('town_admin', 'village_clerk')
  @ApiOperation({ summary: '登记村民（身份证号只保存哈希与后 4 位；卡号不填自动生成）' })
  @ApiCreatedResponse({ type: ResidentDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'ORG.HOUSEHOLD_NOT_FOUND', 'RESIDENT.INVALID_ID', 'RESIDENT.LEGACY_ID', 'RESIDENT.ID_MISMATCH', 'RESIDENT.DUPLICATE_ID', 'RESIDENT.DUPLICATE_CARD_CODE')
  create(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @Body() dto: CreateResidentDto): Promise<ResidentDto> {
    return this.residents.create(ctx, p.villageId, dto);
  }

  @Get('villages/:villageId/residents')
  @Roles(...RESIDENT_READERS)
  @ApiOperation({ summary: '村民列表（按状态、姓名/卡号、户筛选；分页）' })
  @ApiOkResponse({ type: ResidentPageDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  list(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @Query() q: ListResidentsQuery): Promise<ResidentPageDto> {
    return this.residents.list(ctx, p.villageId, q);
  }

  @Get('residents')
  @Roles('town_admin', 'auditor')
  @ApiOperation({ summary: '全镇查找村民（按姓名或卡号；审计与镇管理员，仅本镇）' })
  @ApiOkResponse({ type: ResidentMatchListDto })
  search(@Ctx() ctx: RequestContext, @Query() q: SearchResidentsQuery): Promise<ResidentMatchListDto> {
    return this.residents.search(ctx, q);
  }

  @Get('residents/:id')
  @Roles(...RESIDENT_READERS)
  @ApiOperation({ summary: '村民详情' })
  @ApiOkResponse({ type: ResidentDto })
  @ApiErrors('RESIDENT.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  get(@Ctx() ctx: RequestContext, @Param() p: ResidentIdParam): Promise<ResidentDto> {
    return this.residents.get(ctx, p.id);
  }

  @Post('residents/:id/status')
  @HttpCode(200)
  @Roles('town_admin', 'village_reviewer')
  @ApiOperation({ summary: '变更村民状态（在册→迁出/死亡/除名，迁出/除名→在册；死亡不可变更）' })
  @ApiOkResponse({ type: ResidentDto })
  @ApiErrors('RESIDENT.NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'RESIDENT.INVALID_STATUS_TRANSITION', 'RESIDENT.INVALID_EFFECTIVE_DATE')
  changeStatus(@Ctx() ctx: RequestContext, @Param() p: ResidentIdParam, @Body() dto: ChangeResidentStatusDto): Promise<ResidentDto> {
    return this.residents.changeStatus(ctx, p.id, dto);
  }
}

@ApiTags('roster 名册导入')
@Controller()
export class RosterController {
  constructor(private readonly roster: RosterService) {}

  @Post('villages/:villageId/roster')
  @Roles('town_admin', 'village_clerk')
  @UseInterceptors(FileInterceptor('file'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary', description: '名册（.xlsx 或 CSV）' } } } })
  @ApiOperation({ summary: '导入村民名册：全部无误才导入，有错则一次逐行列出全部错误且不保存任何数据；表头上方的标题行自动跳过；重复上传不改变已在册村民' })
  @ApiCreatedResponse({ type: RosterImportResultDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'ROSTER.FILE_MISSING', 'ROSTER.UNSUPPORTED_FORMAT', 'ROSTER.INVALID')
  import(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @UploadedFile() file: TableFile | undefined): Promise<RosterImportResultDto> {
    return this.roster.import(ctx, p.villageId, file);
  }

  @Post('villages/:villageId/roster/preview')
  @HttpCode(200)
  @Roles('town_admin', 'village_clerk')
  @UseInterceptors(FileInterceptor('file'))
  @ApiConsumes('multipart/form-data')
  @ApiBody({ schema: { type: 'object', required: ['file'], properties: { file: { type: 'string', format: 'binary', description: '名册（.xlsx 或 CSV）' } } } })
  @ApiOperation({ summary: '预览名册导入：与导入同一套检查，列出将新登记、将更新（含换户）的村民、将新建的户、名册中没有的在册村民和逐行错误；不保存任何数据' })
  @ApiOkResponse({ type: RosterPreviewDto })
  @ApiErrors('ORG.VILLAGE_NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'ROSTER.FILE_MISSING', 'ROSTER.UNSUPPORTED_FORMAT')
  preview(@Ctx() ctx: RequestContext, @Param() p: VillageIdParam, @UploadedFile() file: TableFile | undefined): Promise<RosterPreviewDto> {
    return this.roster.preview(ctx, p.villageId, file);
  }

  @Get('roster/template')
  @Roles(...ROLES)
  @ApiFileResponse('名册模板（format=csv 时为 CSV，否则 .xlsx）', CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE)
  @ApiOperation({ summary: '下载名册模板（中文表头、示例行、“说明”表，性别列带下拉选项）' })
  async template(@Query() q: RosterTemplateQuery): Promise<StreamableFile> {
    const format = q.format ?? 'xlsx';
    const body = await this.roster.template(format);
    return new StreamableFile(body, {
      type: format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      disposition: `attachment; filename="roster-template.${format}"; filename*=UTF-8''${encodeURIComponent(`村民名册模板.${format}`)}`,
    });
  }
}
