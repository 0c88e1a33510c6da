import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The town dashboard's running totals (migration DashboardTotals). Written only by PostgreSQL
 * triggers, in the transaction of the write they count; read only by DashboardRepository.
 *
 * `slot` is the writing backend's own (dashboard_totals_slot(), migration DashboardTotalsSlots),
 * so that two redemptions in one shop and village never wait for each other's commit on a
 * counter row; a reader sums the slots. (The outbox and grade totals, DashboardOutboxTotals and
 * DashboardGradeTotals, are kept the same way and have no entity.)
 */
@Entity({ name: 'dashboard_posting_totals' })
export class DashboardPostingTotal {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_dashboard_posting_totals', name: 'town_id', type: 'uuid' })
  townId: string;

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_dashboard_posting_totals', type: 'text' })
  period: string;

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_dashboard_posting_totals', name: 'village_id', type: 'uuid' })
  villageId: string;

  /** deed, redemption or redemption_void: the kinds the dashboard charts. */
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_dashboard_posting_totals', type: 'text' })
  kind: string;

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_dashboard_posting_totals', type: 'text' })
  counterparty: string;

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_dashboard_posting_totals', type: 'smallint' })
  slot: number;

  @Column({ type: 'bigint' })
  postings: string;

  @Column({ type: 'bigint' })
  added: string;

  @Column({ type: 'bigint' })
  deducted: string;
}

/** Per village, period and item: the entries not withdrawn, how many of them late, their points. */
@Entity({ name: 'dashboard_entry_totals' })
export class DashboardEntryTotal {
  @PrimaryColumn({ primaryKeyConstraintName: 'pk_dashboard_entry_totals', name: 'town_id', type: 'uuid' })
  townId: string;

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_dashboard_entry_totals', type: 'text' })
  period: string;

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_dashboard_entry_totals', name: 'village_id', type: 'uuid' })
  villageId: string;

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_dashboard_entry_totals', name: 'item_code', type: 'text' })
  itemCode: string;

  @PrimaryColumn({ primaryKeyConstraintName: 'pk_dashboard_entry_totals', type: 'smallint' })
  slot: number;

  /** The lowest item id (as text) entered under this code: whose name the dashboard shows. */
  @Column({ name: 'item_id', type: 'uuid' })
  itemId: string;

  @Column({ type: 'bigint' })
  entries: string;

  @Column({ name: 'late_entries', type: 'bigint' })
  lateEntries: string;

  @Column({ type: 'bigint' })
  points: string;
}
