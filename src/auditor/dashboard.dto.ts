import { ApiProperty } from '@nestjs/swagger';
import { IsPeriod } from '@app/common/http/field-decorators';
import { CYCLE_STATES, type CycleState } from '@app/review/review.entities';

/** How many months the charts reach back, the chosen one included. */
export const DASHBOARD_MONTHS = 6;
/** The items chart shows this many. */
export const DASHBOARD_TOP_ITEMS = 10;

export class DashboardQuery {
  @IsPeriod({ description: '期间（年-月）：本月进度按此期，图表为截至此期的近 6 个月' })
  period: string;
}

export class DashboardVillageDto {
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '村编号' }) villageCode: string;
  @ApiProperty({ description: '村名称' }) villageName: string;
  @ApiProperty({ enum: CYCLE_STATES, nullable: true, description: '本期周期状态；尚无周期时为 null' }) state: CycleState | null;
  @ApiProperty({ type: 'integer', description: '本期录入条数（不含已撤回）' }) entries: number;
  @ApiProperty({ type: 'integer', description: '其中补录条数（发生月份已关账，计入本期）' }) lateEntries: number;
  @ApiProperty({ description: '逾期关账（关账日结束前未关账）' }) closeLate: boolean;
  @ApiProperty({ description: '逾期公示（关账日后 5 日内未公示）' }) publishLate: boolean;
  @ApiProperty({ description: '逾期未入账（异议期已结束仍未入账）' }) finalizeOverdue: boolean;
  @ApiProperty({ type: 'integer', description: '未答复异议数' }) openObjections: number;
  @ApiProperty({ type: 'integer', description: '其中已逾期（超过答复期限）' }) overdueObjections: number;
  @ApiProperty({ type: 'integer', description: '本期待上报信用平台条数' }) exportPending: number;
  @ApiProperty({ type: 'integer', description: '本期上报失败条数' }) exportFailed: number;
}

export class DashboardTotalsDto {
  @ApiProperty({ type: 'integer', description: '村数' }) villages: number;
  @ApiProperty({ type: 'integer', description: '本期录入条数' }) entries: number;
  @ApiProperty({ type: 'integer', description: '逾期关账的村数' }) closeLate: number;
  @ApiProperty({ type: 'integer', description: '逾期公示的村数' }) publishLate: number;
  @ApiProperty({ type: 'integer', description: '未答复异议数' }) openObjections: number;
  @ApiProperty({ type: 'integer', description: '逾期未答复异议数' }) overdueObjections: number;
  @ApiProperty({ type: 'integer', description: '全镇待上报信用平台条数（各期合计）' }) exportPending: number;
  @ApiProperty({ type: 'integer', description: '全镇上报失败条数（各期合计）' }) exportFailed: number;
}

export class VillageMonthPointsDto {
  @ApiProperty({ description: '期间', example: '2026-11' }) period: string;
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ type: 'integer', description: '入账加分合计' }) added: number;
  @ApiProperty({ type: 'integer', description: '入账扣分合计（正数）' }) deducted: number;
}

export class TopItemDto {
  @ApiProperty({ description: '事项编码' }) itemCode: string;
  @ApiProperty({ description: '事项名称' }) itemName: string;
  @ApiProperty({ type: 'integer', description: '本期录入条数（不含已撤回）' }) entries: number;
  @ApiProperty({ type: 'integer', description: '录入时计得积分合计' }) points: number;
}

export class GradeCountDto {
  @ApiProperty({ description: '等级', example: 'AA' }) grade: string;
  @ApiProperty({ type: 'integer', description: '人数' }) residents: number;
}

export class ShopMonthRedemptionsDto {
  @ApiProperty({ description: '期间', example: '2026-11' }) period: string;
  @ApiProperty({ format: 'uuid' }) shopId: string;
  @ApiProperty({ description: '超市名称' }) shopName: string;
  @ApiProperty({ type: 'integer', description: '兑换笔数（不含作废）' }) redemptions: number;
  @ApiProperty({ type: 'integer', description: '兑换积分（扣除作废退回）' }) points: number;
}

export class DashboardDto {
  @ApiProperty({ description: '期间' }) period: string;
  @ApiProperty({ type: [String], description: '图表的月份（从早到晚，含本期）' }) months: string[];
  @ApiProperty({ description: '关账截止（不含）' }) closeBy: Date;
  @ApiProperty({ description: '公示截止（不含）' }) publishBy: Date;
  @ApiProperty({ type: DashboardTotalsDto }) totals: DashboardTotalsDto;
  @ApiProperty({ type: [DashboardVillageDto], description: '各村本期进度（按村编号）' }) villages: DashboardVillageDto[];
  @ApiProperty({ type: [VillageMonthPointsDto], description: '各村各月入账的积分事项加分、扣分（无入账的月份不列）' }) points: VillageMonthPointsDto[];
  @ApiProperty({ type: [TopItemDto], description: '本期录入最多的 10 个事项' }) topItems: TopItemDto[];
  @ApiProperty({ type: [GradeCountDto], description: '全镇村民账户的等级分布（从高到低）' }) grades: GradeCountDto[];
  @ApiProperty({ type: [ShopMonthRedemptionsDto], description: '各超市各月兑换（无兑换的月份不列）' }) redemptions: ShopMonthRedemptionsDto[];
}
