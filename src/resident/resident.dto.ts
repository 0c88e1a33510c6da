import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { BoardTotalsDto, PublicBoardLineDto, RankedNameDto } from '@app/board/board.dto';
import { StatementLineDto } from '@app/ledger/ledger.dto';
import { CYCLE_STATES, type CycleState } from '@app/review/review.entities';

export class ResidentIdPathParam {
  @ApiProperty({ format: 'uuid', description: '村民 ID' })
  @IsUUID('all')
  residentId: string;
}

export class VillagePathParam {
  @ApiProperty({ format: 'uuid', description: '村（社区）ID' })
  @IsUUID('all')
  villageId: string;
}

export class ResidentAccessTokenDto {
  @ApiProperty({ format: 'uuid' }) residentId: string;
  @ApiProperty({ description: '访问令牌（只在此时给出一次；库里只存其哈希）', example: 'mR2d1k0yq3Vb7xW9sT4uPa8e' }) token: string;
  @ApiProperty({ description: '手机页地址（相对；二维码内容为本站地址 + 此路径）', example: '/r/#mR2d1k0yq3Vb7xW9sT4uPa8e' }) pagePath: string;
  @ApiProperty({ description: '发放时间' }) issuedAt: Date;
  @ApiProperty({ description: '是否同时停用了此前的令牌（补发）' }) revokedPrevious: boolean;
}

export class RevokeResultDto {
  @ApiProperty({ format: 'uuid' }) residentId: string;
  @ApiProperty({ description: '是否停用了一个有效令牌（没有有效令牌时为 false）' }) revoked: boolean;
}

export class CardSheetRequestDto {
  @ApiPropertyOptional({ format: 'uuid', description: '只打印这一户（不填则全村在册村民）' })
  @IsOptional()
  @IsUUID('all')
  householdId?: string;
}

export class CardDto {
  @ApiProperty({ format: 'uuid' }) residentId: string;
  @ApiProperty({ description: '姓名（卡上印全名：卡交本人）' }) name: string;
  @ApiProperty({ description: '户号' }) householdCode: string;
  @ApiProperty({ description: '积分卡号（超市扫码用，条码/二维码）' }) cardCode: string;
  @ApiProperty({ description: '新的访问令牌（旧卡的二维码即刻失效）' }) token: string;
  @ApiProperty({ description: '手机页地址（相对）', example: '/r/#mR2d1k0yq3Vb7xW9sT4uPa8e' }) pagePath: string;
}

export class CardSheetDto {
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '村（社区）名称' }) villageName: string;
  @ApiProperty({ description: '镇名称' }) townName: string;
  @ApiProperty({ type: String, nullable: true, description: '只打印一户时的户号' }) householdCode: string | null;
  @ApiProperty({ description: '发放时间' }) issuedAt: Date;
  @ApiProperty({ type: [CardDto], description: '每人一张卡（按户号、姓名）' }) cards: CardDto[];
}

export class NextGradeDto {
  @ApiProperty({ description: '上一等级', example: 'AA' }) grade: string;
  @ApiProperty({ type: 'integer', description: '该等级的起点信用分' }) minScore: number;
  @ApiProperty({ type: 'integer', description: '还差多少分' }) pointsNeeded: number;
}

export class ResidentMeDto {
  @ApiProperty({ description: '本人姓名' }) name: string;
  @ApiProperty({ description: '所在村（社区）' }) villageName: string;
  @ApiProperty({ description: '所在镇' }) townName: string;
  @ApiProperty({ type: 'integer', description: '可用积分（可在信义超市兑换）' }) balance: number;
  @ApiProperty({ type: 'integer', description: '信用分（本评定年度：基础分 + 已入账事项积分）' }) creditScore: number;
  @ApiProperty({ description: '信用等级', example: 'A' }) grade: string;
  @ApiProperty({ type: NextGradeDto, nullable: true, description: '下一等级及还差的分数（已是最高等级为 null）' }) nextGrade: NextGradeDto | null;
  @ApiProperty({ type: [StatementLineDto], description: '对账单（逐条说明：事项、规则、理由、日期、评议结论、小票），新的在前；最近的 50 条，更早的见 GET /resident/me/statement' }) lines: StatementLineDto[];
  @ApiProperty({ type: 'integer', description: '比 lines 更早、尚未返回的记录条数' }) earlierLines: number;
}

export class ResidentStatementQuery {
  @ApiProperty({ type: 'integer', minimum: 1, description: '更早记录的截止序号（已显示的最早一条的 seq；只返回序号更小的记录）' })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  beforeSeq: number;
}

export class ResidentStatementPageDto {
  @ApiProperty({ type: [StatementLineDto], description: '序号小于 beforeSeq 的最近 50 条记录，新的在前' }) lines: StatementLineDto[];
  @ApiProperty({ type: 'integer', description: '比这些更早、尚未返回的记录条数' }) earlierLines: number;
}

export class ResidentBoardLineDto extends PublicBoardLineDto {
  @ApiProperty({ description: '现在能否对这一条提出异议' }) objectable: boolean;
}

export class ResidentBoardDto {
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '期间', example: '2026-11' }) period: string;
  @ApiProperty({ enum: CYCLE_STATES, description: '周期状态（publicized 公示中 / finalized 已入账）' }) state: CycleState;
  @ApiProperty({ description: '公示时间' }) publishedAt: string;
  @ApiProperty({ description: '异议期结束' }) windowEndsAt: string;
  @ApiProperty({ description: '现在是否可以提出异议' }) objectionOpen: boolean;
  @ApiProperty({ description: '如何提出异议' }) howToObject: string;
  @ApiProperty({ type: [ResidentBoardLineDto], description: '公示栏上关于本人的记录' }) myLines: ResidentBoardLineDto[];
  @ApiProperty({ type: BoardTotalsDto }) totals: BoardTotalsDto;
  @ApiProperty({ type: [RankedNameDto], description: '红榜（脱敏姓名）' }) redList: RankedNameDto[];
  @ApiProperty({ type: [RankedNameDto], description: '黑榜（脱敏姓名）' }) blackList: RankedNameDto[];
  @ApiProperty({ type: String, nullable: true, description: '入账核验码（入账后）' }) checkpointHash: string | null;
  @ApiProperty({ description: '全村公示栏打印页（A4）' }) boardPagePath: string;
}

export class ResidentBoardAnswerDto {
  @ApiProperty({ type: ResidentBoardDto, nullable: true, description: '本村当前公示栏（尚无公示时为 null）' }) board: ResidentBoardDto | null;
}
