import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  NotEquals,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { PERIOD_PATTERN } from '@app/common/http/field-decorators';
import type { MerkleLeafFields } from './merkle';
import type { BrokenLink, CheckpointProblem, CheckpointProblemKind, CheckpointReport, VerificationReport } from './ledger.types';

export const MAX_OPENING_BALANCE_LINES = 5000;

// ---- corrections ---------------------------------------------------------------------------

export class CreateCorrectionDto {
  @ApiProperty({ description: '被更正的记账编号（只能是积分事项记账 deed）', example: '1024' })
  @Matches(/^[1-9]\d{0,17}$/, { message: 'postingId must be a posting number' })
  postingId: string;

  @ApiProperty({ description: '更正方式：reversal 冲正（整笔撤销）/ amount 调整分值', enum: ['reversal', 'amount'] })
  @IsIn(['reversal', 'amount'])
  type: 'reversal' | 'amount';

  @ApiPropertyOptional({ type: 'integer', description: '调整的分值（仅 amount；非零整数，可正可负）', example: -5 })
  @ValidateIf((o: CreateCorrectionDto) => o.type === 'amount')
  @IsInt()
  @NotEquals(0, { message: 'points must not be 0' })
  @Min(-100000)
  @Max(100000)
  points?: number;

  @ApiProperty({ description: '更正理由（写入对账单）', example: '议事会复核：该户已于当月整改' })
  @IsString()
  @MinLength(2)
  @MaxLength(500)
  reason: string;
}

export class CorrectionDto {
  @ApiProperty({ description: '更正记录编号' }) correctionId: string;
  @ApiProperty({ enum: ['reversal', 'amount'] }) type: 'reversal' | 'amount';
  @ApiProperty({ description: '原记账编号' }) originalPostingId: string;
  @ApiProperty({ description: '村民编号' }) residentId: string;
  @ApiProperty({ type: 'integer', description: '本次更正记入的分值' }) points: number;
  @ApiProperty({ description: '更正理由' }) reason: string;
  @ApiProperty({ description: '更正记账编号' }) postingId: string;
  @ApiProperty({ type: 'integer', description: '更正记账在该账户中的序号' }) seq: number;
  @ApiProperty({ type: 'integer', description: '更正后余额' }) balance: number;
  @ApiProperty({ type: 'integer', description: '更正后信用分' }) creditScore: number;
}

// ---- opening balances ----------------------------------------------------------------------

export class OpeningBalanceLineDto {
  @ApiProperty({ format: 'uuid', description: '村民编号' })
  @IsUUID('all')
  residentId: string;

  @ApiProperty({ type: 'integer', minimum: 0, description: '期初积分余额（≥ 0）', example: 120 })
  @IsInt()
  @Min(0)
  @Max(1_000_000)
  points: number;

  @ApiPropertyOptional({ description: '备注', example: '2024 年纸质台账结转' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  note?: string;
}

export class CreateOpeningBalancesDto {
  @ApiProperty({ description: '来源文件（纸质台账编号、文件名等）', example: '东村 2024 年积分台账' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  sourceDocument: string;

  @ApiProperty({ type: [OpeningBalanceLineDto], description: `期初余额明细（最多 ${MAX_OPENING_BALANCE_LINES} 行，每位村民一次）` })
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_OPENING_BALANCE_LINES)
  @ValidateNested({ each: true })
  @Type(() => OpeningBalanceLineDto)
  lines: OpeningBalanceLineDto[];
}

export class OpeningBalancesResultDto {
  @ApiProperty({ type: 'integer', description: '记账笔数' }) posted: number;
  @ApiProperty({ type: 'integer', description: '合计积分' }) totalPoints: number;
  @ApiProperty({ description: '来源文件' }) sourceDocument: string;
  @ApiProperty({ description: '记入期间' }) period: string;
}

// ---- year end ------------------------------------------------------------------------------

export class YearEndRequestDto {
  @ApiProperty({ type: 'integer', description: '要结束的评定年度', example: 2025 })
  @IsInt()
  @Min(2000)
  @Max(2100)
  year: number;
}

export class YearEndEnqueuedDto {
  @ApiProperty({ description: '任务编号（同一镇同一年度固定）' }) jobId: string;
  @ApiProperty({ description: '是否已进入队列（Redis 不可用时为 false，可重试）' }) queued: boolean;
}

// ---- verification --------------------------------------------------------------------------

export class BrokenLinkDto implements BrokenLink {
  @ApiProperty({ description: '账户（村民）编号' }) accountId: string;
  @ApiProperty({ type: 'integer', description: '第一个断链处的序号' }) seq: number;
  @ApiProperty({
    description: '问题',
    enum: ['seq_gap', 'prev_hash_mismatch', 'hash_mismatch', 'head_mismatch', 'seq_mismatch', 'balance_mismatch', 'credit_score_mismatch', 'missing_account'],
  })
  problem: BrokenLink['problem'];
  @ApiProperty({ description: '应为' }) expected: string;
  @ApiProperty({ description: '实际' }) found: string;
}

export class CheckpointProblemDto implements CheckpointProblem {
  @ApiProperty({ format: 'uuid' }) cycleId: string;
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty() period: string;
  @ApiProperty({ type: 'integer', enum: [1, 2], description: '核验码格式：1 整体哈希，2 默克尔树根' }) version: number;
  @ApiProperty({ enum: ['hash_mismatch', 'cycle_hash_mismatch', 'head_missing'], description: '核验码与链头不符 / 与公示的核验码不符 / 链头已不在账本中' }) problem: CheckpointProblemKind;
  @ApiProperty({ nullable: true, type: String }) accountId: string | null;
  @ApiProperty({ nullable: true, type: 'integer' }) seq: number | null;
  @ApiProperty() expected: string;
  @ApiProperty({ nullable: true, type: String }) found: string | null;
}

export class CheckpointReportDto implements CheckpointReport {
  @ApiProperty({ type: 'integer', description: '已核验的入账核验码数' }) checked: number;
  @ApiProperty({ type: [CheckpointProblemDto], description: '每个有问题的周期的第一个问题' }) broken: CheckpointProblemDto[];
}

export class VerificationReportDto implements VerificationReport {
  @ApiProperty({ nullable: true, type: String }) townId: string | null;
  @ApiProperty({ description: '全部账户与入账核验码校验通过' }) ok: boolean;
  @ApiProperty({ type: 'integer' }) accountsChecked: number;
  @ApiProperty({ type: 'integer' }) postingsChecked: number;
  @ApiProperty({ type: [BrokenLinkDto], description: '每个有问题账户的第一个断链' }) broken: BrokenLinkDto[];
  @ApiProperty({ type: CheckpointReportDto, description: '各村各期入账核验码（v1 整体哈希、v2 默克尔树根）' }) checkpoints: CheckpointReportDto;
}

// ---- checkpoint inclusion proofs ---------------------------------------------------------------

const HEX64 = { pattern: '^[0-9a-f]{64}$', example: 'bda8528a4697e65954dd534d8ae2d05108a2b1266b54bb1c709c0948c350f732' };

export class ProofQuery {
  @ApiPropertyOptional({ example: '2026-03', description: '哪一期的核验码（缺省为该村最近一次入账）', pattern: PERIOD_PATTERN.source })
  @IsOptional()
  @Matches(PERIOD_PATTERN, { message: 'period must be a period YYYY-MM' })
  period?: string;
}

/** The leaf fields: the browser recomputes the leaf hash from these (docs/LEDGER.md). */
export class MerkleLeafDto implements MerkleLeafFields {
  @ApiProperty({ format: 'uuid', description: '村（社区）ID' }) villageId: string;
  @ApiProperty({ pattern: PERIOD_PATTERN.source, description: '期间' }) period: string;
  @ApiProperty({ format: 'uuid', description: '账户（村民）ID' }) accountId: string;
  @ApiProperty({ type: 'integer', minimum: 0, description: '入账时该账户最后一笔记录的序号（0 = 尚无记录）' }) seq: number;
  @ApiProperty({ ...HEX64, description: '按账本现有记录重算的第 seq 笔记录哈希（链头）；记录被改动则与入账时不同，核验失败' }) headHash: string;
}

export class CheckpointProofDto {
  @ApiProperty({ type: 'integer', enum: [2], description: '核验码格式版本（2 = 默克尔树根）' }) version: number;
  @ApiProperty({ format: 'uuid', description: '评议周期 ID' }) cycleId: string;
  @ApiProperty({ format: 'uuid' }) villageId: string;
  @ApiProperty({ description: '村（社区）名称' }) villageName: string;
  @ApiProperty({ pattern: PERIOD_PATTERN.source }) period: string;
  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: '入账时间' }) finalizedAt: Date | null;
  @ApiProperty({ ...HEX64, description: '入账核验码（默克尔树根，公示栏上打印的完整值）' }) root: string;
  @ApiProperty({ example: 'bda8 528a 4697 e659', description: '核验码简写（前 16 位，公示栏上大字打印）' }) rootShort: string;
  @ApiProperty({ type: 'integer', minimum: 1, description: '树中账户数' }) treeSize: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: '本账户在树中的位置（按账户 ID 排序，从 0 起）' }) leafIndex: number;
  @ApiProperty({ type: MerkleLeafDto }) leaf: MerkleLeafDto;
  @ApiProperty({ ...HEX64, description: '叶哈希 SHA-256(0x00 ‖ 叶编码)（供参考；核验时应自行重算）' }) leafHash: string;
  @ApiProperty({ type: [String], description: '审计路径：从叶到根的兄弟节点哈希（十六进制）' }) auditPath: string[];
  @ApiProperty({ type: 'integer', minimum: 0, description: '重算链头所用的本账户记录笔数（记录完整时等于 seq）' }) postingsHashed: number;
}

// ---- statements ----------------------------------------------------------------------------

export class ResidentParams {
  @ApiProperty({ format: 'uuid', description: '村民编号' })
  @IsUUID('all')
  residentId: string;
}

export class StatementQuery {
  @ApiPropertyOptional({ example: '2026-01', description: '起始期间（含），按记账日期（北京时间）', pattern: PERIOD_PATTERN.source })
  @IsOptional()
  @Matches(PERIOD_PATTERN, { message: 'from must be a period YYYY-MM' })
  from?: string;

  @ApiPropertyOptional({ example: '2026-12', description: '截止期间（含）', pattern: PERIOD_PATTERN.source })
  @IsOptional()
  @Matches(PERIOD_PATTERN, { message: 'to must be a period YYYY-MM' })
  to?: string;
}

/** Most lines a statement page holds. */
export const MAX_STATEMENT_PAGE = 500;
/** The page the screens ask for: the console's statement page (web STATEMENT_PAGE) and the phone page (ResidentPageService). */
export const STATEMENT_SCREEN_PAGE = 50;

/**
 * The statement on screen (the console and the phone page): its newest lines first, `limit` at a
 * time, each page ending before `beforeSeq` (the first line's seq of the page shown). The
 * exports (.csv, .xlsx) and the print take every line of the range (StatementQuery).
 */
export class StatementPageQuery extends StatementQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_STATEMENT_PAGE, description: '每页条数（最多 500）；不传则返回期间内全部明细' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_STATEMENT_PAGE)
  limit?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, description: '更早记录的截止序号（上一页第一条明细的 seq；只返回序号更小的明细）' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(2_147_483_647)
  beforeSeq?: number;
}

export class StatementLineDto {
  @ApiProperty({ type: 'integer', description: '账户内序号' }) seq: number;
  @ApiProperty({ description: '记账编号' }) postingId: string;
  @ApiProperty({ type: String, format: 'date-time', description: '记账时间' }) postedAt: string;
  @ApiProperty({ description: '记账日期（北京时间）', example: '2026-03-05' }) date: string;
  @ApiProperty({ description: '所属期间' }) period: string;
  @ApiProperty({ enum: ['deed', 'redemption', 'redemption_void', 'correction', 'opening_balance', 'expiry'] }) kind: string;
  @ApiProperty({ description: '类型（中文）' }) kindLabel: string;
  @ApiProperty({ nullable: true, type: String, description: '事项编码' }) itemCode: string | null;
  @ApiProperty({ nullable: true, type: String, description: '事项名称' }) itemName: string | null;
  @ApiProperty({ nullable: true, type: String, description: '摘要' }) memo: string | null;
  @ApiProperty({ nullable: true, type: String, description: '更正理由' }) reason: string | null;
  @ApiProperty({ nullable: true, type: String, description: '更正所针对的原记账编号' }) originalPostingId: string | null;
  @ApiProperty({ type: 'integer', description: '积分' }) points: number;
  @ApiProperty({ description: '积分（显示）：如 +5、−10；失信事项记 0 分的为“警告”', example: '警告' }) pointsLabel: string;
  @ApiProperty({ description: '是否为记录警告（失信事项，0 分）' }) warning: boolean;
  @ApiProperty({ nullable: true, type: String, description: '事情发生日期（积分事项）', example: '2026-11-04' }) occurredOn: string | null;
  @ApiProperty({ nullable: true, type: String, description: '计分规则（文字）', example: '年内第 2 次起每次 −10 分，此前记录警告' }) ruleText: string | null;
  @ApiProperty({ nullable: true, type: String, description: '本次计分说明（评议时由规则算出）', example: '第 3 次，已超过 2 次，按规定每次扣 10 分，本次 −10' }) explanation: string | null;
  @ApiProperty({ nullable: true, type: String, description: '议事会评定理由（录入时所填）' }) committeeReason: string | null;
  @ApiProperty({ nullable: true, type: String, description: '证据说明' }) evidenceNote: string | null;
  @ApiProperty({ nullable: true, type: String, description: '评议结论', example: '议事会通过（2026-12-02 会议）' }) decision: string | null;
  @ApiProperty({ nullable: true, type: String, description: '评议时所附理由' }) decisionReason: string | null;
  @ApiProperty({ nullable: true, type: String, description: '评议期间（该记录所属的评议周期）', example: '2026-11' }) reviewPeriod: string | null;
  @ApiProperty({ nullable: true, type: String, description: '兑换小票号（兑换、兑换撤销）' }) receiptNo: string | null;
  @ApiProperty({ nullable: true, type: String, description: '兑换超市（兑换、兑换撤销）' }) shopName: string | null;
  @ApiProperty({ type: 'integer', description: '累计余额' }) balance: number;
  @ApiProperty({ type: 'integer', description: '该评定年度的累计信用分' }) creditScore: number;
}

export class StatementDto {
  @ApiProperty() residentId: string;
  @ApiProperty({ description: '村民姓名' }) residentName: string;
  @ApiProperty({ description: '所在村' }) villageName: string;
  @ApiProperty({ nullable: true, type: String }) from: string | null;
  @ApiProperty({ nullable: true, type: String }) to: string | null;
  @ApiProperty({ type: 'integer', description: '期初余额' }) openingBalance: number;
  @ApiProperty({ type: 'integer', description: '期末余额' }) closingBalance: number;
  @ApiProperty({ type: 'integer', description: '当前余额' }) currentBalance: number;
  @ApiProperty({ type: 'integer', description: '当前信用分' }) currentCreditScore: number;
  @ApiProperty({ description: '当前等级' }) currentGrade: string;
  @ApiProperty({ type: 'integer', description: '期间内排在本页之前、未返回的明细条数（分页时；不分页为 0）' }) earlierLines: number;
  @ApiProperty({ type: [StatementLineDto], description: '期间内的明细（按序号升序）；分页时为最新的 limit 条（或 beforeSeq 之前的 limit 条）' }) lines: StatementLineDto[];
}
