import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { IsPeriod } from '@app/common/http/field-decorators';
import { CYCLE_STATES, type CycleState } from '@app/review/review.entities';
import { LINE_STATUS_LABELS, type BoardCheckpoint, type LineStatus, type PublicBoard, type PublicBoardLine, type PublicBoardResident } from './board-view';

/** A UUID, or a village code (2–8 letters or digits, as villages are created; case-insensitive). */
export const VILLAGE_REF_PATTERN = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[A-Z0-9]{2,8})$/;
const VILLAGE_REF_DESCRIPTION = '村（社区）：ID（UUID）或村编号（如 DC；几个镇有同一编号时加 ?town=镇编号）';
const upperUnlessUuid = ({ value }: { value: unknown }) => (typeof value === 'string' && value.length <= 8 ? value.trim().toUpperCase() : value);

export class BoardPathParams {
  @ApiProperty({ description: VILLAGE_REF_DESCRIPTION, example: 'DC' })
  @Transform(upperUnlessUuid)
  @Matches(VILLAGE_REF_PATTERN, { message: 'villageId must be a village id (uuid) or a village code like DC' })
  villageId: string;

  @IsPeriod()
  period: string;
}

export class VillagePathParams {
  @ApiProperty({ description: VILLAGE_REF_DESCRIPTION, example: 'DC' })
  @Transform(upperUnlessUuid)
  @Matches(VILLAGE_REF_PATTERN, { message: 'villageId must be a village id (uuid) or a village code like DC' })
  villageId: string;
}

export class TownCodeQuery {
  @ApiPropertyOptional({ description: '镇编号（只看该镇；按村编号找公示栏时区分同编号的村）', example: 'HOUYING' })
  @IsOptional()
  @Matches(/^[A-Za-z0-9_-]{1,40}$/, { message: 'town must be a town code like HOUYING' })
  town?: string;
}

export class PublicVillageBoardDto {
  @ApiProperty({ description: '期间', example: '2026-11' }) period: string;
  @ApiProperty({ enum: CYCLE_STATES, description: '周期状态（公示中 publicized / 已入账 finalized）' }) state: CycleState;
  @ApiProperty({ description: '公示时间' }) publishedAt: Date;
  @ApiProperty({ nullable: true, type: Date, description: '异议期结束' }) windowEndsAt: Date | null;
  @ApiProperty({ description: '是否已入账' }) finalized: boolean;
  @ApiProperty({ description: '公示栏 JSON 地址（按村编号）', example: '/api/v1/public/boards/DC/2026-11?town=HOUYING' }) url: string;
  @ApiProperty({ description: '打印页地址', example: '/api/v1/public/boards/DC/2026-11.html?town=HOUYING' }) htmlUrl: string;
}

export class PublicVillageDto {
  @ApiProperty({ format: 'uuid', description: '村（社区）ID' }) id: string;
  @ApiProperty({ description: '村编号', example: 'DC' }) code: string;
  @ApiProperty({ description: '村名称', example: '东村' }) name: string;
  @ApiProperty({ type: [PublicVillageBoardDto], description: '已公示的各期公示栏（新的在前）' }) boards: PublicVillageBoardDto[];
}

export class PublicTownDto {
  @ApiProperty({ description: '镇编号', example: 'HOUYING' }) code: string;
  @ApiProperty({ description: '镇名称', example: '侯营镇' }) name: string;
  @ApiProperty({ type: [PublicVillageDto] }) villages: PublicVillageDto[];
}

export class PeriodQuery {
  @IsPeriod()
  period: string;
}

export class PublicBoardLineDto implements PublicBoardLine {
  @ApiProperty({ format: 'uuid', description: '记录 ID' }) entryId: string;
  @ApiProperty({ description: '记录编号（公示栏上印的，提出异议时注明），如 DC-2611-0042', example: 'DC-2611-0042' }) recordNo: string;
  @ApiProperty({ description: '事项编码' }) itemCode: string;
  @ApiProperty({ description: '事项名称' }) itemName: string;
  @ApiProperty({ description: '事项类别' }) category: string;
  @ApiProperty({ description: '发生日期', example: '2026-03-05' }) occurredOn: string;
  @ApiProperty({ description: '补录：发生月份已关账，计入本期公示（发生日期见 occurredOn）' }) late: boolean;
  @ApiProperty({ type: 'integer', description: '积分（公示时）' }) points: number;
  @ApiProperty({ description: '计分说明' }) explanation: string;
  @ApiProperty({ enum: Object.keys(LINE_STATUS_LABELS), description: '当前状态：已通过 / 异议处理中 / 撤销（异议成立）/ 已入账' }) status: LineStatus;
  @ApiProperty({ description: '状态（中文）' }) statusLabel: string;
  @ApiProperty({ description: '积分（显示）：+5、−10；失信事项记 0 分的为“警告”', example: '警告' }) pointsLabel: string;
}

export class PublicBoardResidentDto implements PublicBoardResident {
  @ApiProperty({ description: '姓名（已脱敏）', example: '李*明' }) name: string;
  @ApiProperty({ type: 'integer', description: '本期合计（公示时）' }) total: number;
  @ApiProperty({ type: [PublicBoardLineDto] }) lines: PublicBoardLineDto[];
}

export class BoardTotalsDto {
  @ApiProperty({ type: 'integer', description: '上榜人数' }) residents: number;
  @ApiProperty({ type: 'integer', description: '记录条数' }) entries: number;
  @ApiProperty({ type: 'integer', description: '加分合计' }) awarded: number;
  @ApiProperty({ type: 'integer', description: '扣分合计' }) deducted: number;
}

export class RankedNameDto {
  @ApiProperty({ type: 'integer', description: '名次（同分同名次：1、2、2、4）', example: 2 }) rank: number;
  @ApiProperty({ description: '姓名（已脱敏）' }) name: string;
  @ApiProperty({ type: 'integer', description: '本期合计' }) total: number;
}

export class BoardCheckpointDto implements BoardCheckpoint {
  @ApiProperty({ type: 'integer', enum: [1, 2], description: '格式版本：1 整体哈希，2 默克尔树根（可逐户核验）' }) version: number;
  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: '完整核验码（64 位十六进制）' }) root: string;
  @ApiProperty({ example: 'bda8 528a 4697 e659', description: '简写：前 16 位，每 4 位一组' }) rootShort: string;
}

export class PublicBoardDto implements PublicBoard {
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '村编号', example: 'DC' }) villageCode: string;
  @ApiProperty({ description: '村（社区）名称' }) villageName: string;
  @ApiProperty({ description: '镇（街道）名称' }) townName: string;
  @ApiProperty({ description: '发布单位', example: '东村村民委员会' }) committee: string;
  @ApiProperty({ type: String, nullable: true, description: '村联系电话' }) contactPhone: string | null;
  @ApiProperty({ type: String, nullable: true, description: '镇监督电话' }) supervisionPhone: string | null;
  @ApiProperty({ description: '网上公示栏（打印页上二维码的地址）' }) boardUrl: string;
  @ApiProperty({ description: '网上提出异议的页面（打印页上二维码的地址）' }) objectionPageUrl: string;
  @ApiProperty({ description: '异议截止时间（公示期结束）' }) objectionDeadline: string;
  @ApiProperty({ description: '期间', example: '2026-03' }) period: string;
  @ApiProperty({ enum: CYCLE_STATES, description: '周期状态（publicized 公示中 / finalized 已入账）' }) state: CycleState;
  @ApiProperty({ description: '公示时间' }) publishedAt: string;
  @ApiProperty({ description: '异议期开始' }) windowStartsAt: string;
  @ApiProperty({ description: '异议期结束' }) windowEndsAt: string;
  @ApiProperty({ description: '现在是否可以提出异议' }) objectionOpen: boolean;
  @ApiProperty({ description: '如何提出异议' }) howToObject: string;
  @ApiProperty({ description: '提出异议的 JSON 接口（POST，供程序使用；村民用 objectionPageUrl）' }) objectionEndpoint: string;
  @ApiProperty({ type: [PublicBoardResidentDto] }) residents: PublicBoardResidentDto[];
  @ApiProperty({ type: BoardTotalsDto, description: '合计（公示时）' }) totals: BoardTotalsDto;
  @ApiProperty({ type: [RankedNameDto], description: '红榜' }) redList: RankedNameDto[];
  @ApiProperty({ type: [RankedNameDto], description: '黑榜' }) blackList: RankedNameDto[];
  @ApiProperty({ description: '是否已入账（公示期结束并完成入账）' }) finalized: boolean;
  @ApiProperty({ nullable: true, type: String, description: '入账时间' }) finalizedAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: '入账核验码（各账户链头的校验哈希），入账后公布' }) checkpointHash: string | null;
  @ApiProperty({ nullable: true, type: BoardCheckpointDto, description: '入账核验码及其格式；版本 2 为默克尔树根，村民可逐户核验（docs/LEDGER.md）' }) checkpoint: BoardCheckpointDto | null;
}

export class VillageBoardDto {
  @ApiProperty({ description: '期间' }) period: string;
  @ApiProperty({ enum: CYCLE_STATES }) state: CycleState;
  @ApiProperty() publishedAt: Date;
  @ApiProperty({ nullable: true, type: Date, description: '异议期结束' }) windowEndsAt: Date | null;
  @ApiProperty({ description: '是否已入账' }) finalized: boolean;
  @ApiProperty({ nullable: true, type: String, description: '入账核验码' }) checkpointHash: string | null;
}

export class BoardOverviewRowDto {
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '村编号' }) villageCode: string;
  @ApiProperty({ description: '村名称' }) villageName: string;
  @ApiProperty({ enum: CYCLE_STATES, nullable: true, description: '周期状态；本期尚无周期时为 null' }) state: CycleState | null;
  @ApiProperty({ description: '是否已公示' }) publicized: boolean;
  @ApiProperty({ description: '是否已入账' }) finalized: boolean;
  @ApiProperty({ nullable: true, type: Date }) closedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) publishedAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) windowEndsAt: Date | null;
  @ApiProperty({ nullable: true, type: Date }) finalizedAt: Date | null;
  @ApiProperty({ description: '逾期关账（次月关账日（本镇设置，默认 5 日）结束前未关账）' }) closeLate: boolean;
  @ApiProperty({ description: '逾期公示（关账日后 5 日内（默认次月 10 日）未公示）' }) publishLate: boolean;
  @ApiProperty({ description: '逾期未入账（异议期已结束仍未入账）' }) finalizeOverdue: boolean;
  @ApiProperty({ type: 'integer', description: '未答复异议数' }) openObjections: number;
  @ApiProperty({ type: 'integer', description: '逾期未答复异议数' }) overdueObjections: number;
}

export class BoardsOverviewDto {
  @ApiProperty({ description: '期间' }) period: string;
  @ApiProperty({ description: '关账截止（不含）' }) closeBy: Date;
  @ApiProperty({ description: '公示截止（不含）' }) publishBy: Date;
  @ApiPropertyOptional({ type: [BoardOverviewRowDto] }) villages: BoardOverviewRowDto[];
}

/** /board/<town code>/<village code>/<period>: the address printed on the board. */
export class PublicPageParams {
  @ApiProperty({ description: '镇编号', example: 'HOUYING' })
  @Matches(/^[A-Za-z0-9_-]{1,40}$/, { message: 'town must be a town code' })
  town: string;

  @ApiProperty({ description: '村编号', example: 'DC' })
  @Matches(/^[A-Za-z0-9]{2,8}$/, { message: 'village must be a village code' })
  village: string;

  @IsPeriod()
  period: string;
}

export class ObjectionPageQuery {
  /** A record number to fill in (the resident page links here from a line). */
  @ApiPropertyOptional({ description: '预先填入的记录编号', example: 'DC-2611-0042' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  record?: string;
}

/**
 * The objection form's fields, as a browser posts them (urlencoded). Lengths here are only a
 * ceiling; the field rules and their Chinese messages are in objection-page.ts, shown next to
 * the field.
 */
export class ObjectionFormBody {
  @ApiPropertyOptional({ description: '记录编号' }) @IsOptional() @IsString() @MaxLength(100) recordNo?: string;
  @ApiPropertyOptional({ description: '异议内容' }) @IsOptional() @IsString() @MaxLength(5000) reason?: string;
  @ApiPropertyOptional({ description: '异议人姓名' }) @IsOptional() @IsString() @MaxLength(200) name?: string;
  @ApiPropertyOptional({ description: '联系方式' }) @IsOptional() @IsString() @MaxLength(200) contact?: string;
}
