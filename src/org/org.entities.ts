import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { GradeThresholds } from '@app/scoring/grade';

export const RESIDENT_STATUSES = ['active', 'moved', 'deceased', 'excluded'] as const;
export type ResidentStatus = (typeof RESIDENT_STATUSES)[number];

/** A town (镇/街道) with the settings its programme runs by. */
@Entity({ name: 'towns' })
@Check('ck_towns_close_day', `close_day BETWEEN 1 AND 28`)
export class Town {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index({ unique: true })
  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'base_score', type: 'integer', default: 1000 })
  baseScore: number;

  @Column({ name: 'grade_thresholds', type: 'jsonb', nullable: true })
  gradeThresholds: GradeThresholds | null;

  @Column({ name: 'objection_window_days', type: 'integer', default: 7 })
  objectionWindowDays: number;

  @Column({ name: 'objection_answer_working_days', type: 'integer', default: 7 })
  objectionAnswerWorkingDays: number;

  /** Day of the next month on which last month's cycles close (00:10 Asia/Shanghai). */
  @Column({ name: 'close_day', type: 'integer', default: 5 })
  closeDay: number;

  /** 'YYYY-MM-DD' public holidays and make-up working days (调休) for deadlines. */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  holidays: string[];

  @Column({ name: 'makeup_workdays', type: 'jsonb', default: () => "'[]'" })
  makeupWorkdays: string[];

  @Column({ name: 'village_max_bonus_items', type: 'integer', default: 5 })
  villageMaxBonusItems: number;

  @Column({ name: 'village_max_penalty_items', type: 'integer', default: 5 })
  villageMaxPenaltyItems: number;

  @Column({ name: 'village_item_max_points', type: 'integer', default: 2 })
  villageItemMaxPoints: number;

  /** At rating-year end spendable balances carry over unless this is true (then an expiry posting). */
  @Column({ name: 'expire_balance_at_year_end', type: 'boolean', default: false })
  expireBalanceAtYearEnd: boolean;

  /** The town's supervision phone (监督电话) printed on every board; null = none printed. */
  @Column({ name: 'contact_phone', type: 'text', nullable: true })
  contactPhone: string | null;

  /** Boards print "masked name（户号 …）" so two 李*明 can be told apart; off by default (personal data). */
  @Column({ name: 'board_household_numbers', type: 'boolean', default: false })
  boardHouseholdNumbers: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

@Entity({ name: 'villages' })
@Unique('uq_villages_town_code', ['townId', 'code'])
export class Village {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  name: string;

  /** The issuing committee printed on the board; null = "<name>村民委员会". */
  @Column({ type: 'text', nullable: true })
  committee: string | null;

  /** The village committee's phone printed on the board; null = none printed. */
  @Column({ name: 'contact_phone', type: 'text', nullable: true })
  contactPhone: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

@Entity({ name: 'households' })
@Unique('uq_households_village_code', ['villageId', 'code', 'townId'])
export class Household {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Index()
  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text', nullable: true })
  address: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** A resident. National ID only as keyed hash + last 4. Never deleted; status changes are events. */
@Entity({ name: 'residents' })
// Unique within a town (the distribution column last, so lookups by card or ID hash alone keep the index).
@Index('uq_residents_card_code', ['cardCode', 'townId'], { unique: true })
@Index('uq_residents_id_hash', ['idHash', 'townId'], { unique: true })
@Check('ck_residents_status', `status IN ('active','moved','deceased','excluded')`)
@Check('ck_residents_gender', `gender IN ('M','F')`)
export class Resident {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Index()
  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Index()
  @Column({ name: 'household_id', type: 'uuid' })
  householdId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'char', length: 1 })
  gender: 'M' | 'F';

  @Column({ name: 'birth_year', type: 'integer' })
  birthYear: number;

  @Column({ name: 'card_code', type: 'text' })
  cardCode: string;

  @Column({ type: 'text', nullable: true })
  phone: string | null;

  /** The resident agreed to notices by SMS (src/notices); without it nothing is sent, only shown on their page. */
  @Column({ name: 'sms_consent', type: 'boolean', default: false })
  smsConsent: boolean;

  @Column({ name: 'id_hash', type: 'text' })
  idHash: string;

  @Column({ name: 'id_last4', type: 'text' })
  idLast4: string;

  @Column({ type: 'text', default: 'active' })
  status: ResidentStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** Append-only history of resident status changes (date and reason of each). */
@Entity({ name: 'resident_status_events' })
export class ResidentStatusEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Index()
  @Column({ name: 'resident_id', type: 'uuid' })
  residentId: string;

  @Column({ name: 'from_status', type: 'text', nullable: true })
  fromStatus: ResidentStatus | null;

  @Column({ name: 'to_status', type: 'text' })
  toStatus: ResidentStatus;

  @Column({ name: 'effective_on', type: 'date' })
  effectiveOn: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ name: 'actor_id', type: 'uuid', nullable: true })
  actorId: string | null;

  @CreateDateColumn({ name: 'recorded_at', type: 'timestamptz' })
  recordedAt: Date;
}

