import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A village integrity supermarket (信义超市); belongs to a town, serves one or more villages. */
@Entity({ name: 'shops' })
@Unique('uq_shops_town_code', ['townId', 'code'])
export class Shop {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  name: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

@Entity({ name: 'shop_villages' })
export class ShopVillage {
  @PrimaryColumn({ name: 'shop_id', type: 'uuid' })
  shopId: string;

  @Index()
  @PrimaryColumn({ name: 'village_id', type: 'uuid' })
  villageId: string;

  /** The shop's town (the distribution column): a shop serves villages of its own town only. */
  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;
}

/** Goods on a shop's shelf, priced in points. Stock never below zero (a CHECK backs the code). */
@Entity({ name: 'goods' })
@Index('ix_goods_shop', ['shopId', 'active'])
@Check('ck_goods_stock', 'stock >= 0')
@Check('ck_goods_price', 'price_points > 0')
@Index('uq_goods_shop_code', ['shopId', 'code', 'townId'], { unique: true, where: 'code IS NOT NULL' })
@Index('uq_goods_shop_barcode', ['shopId', 'barcode', 'townId'], { unique: true, where: 'barcode IS NOT NULL' })
export class Goods {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'shop_id', type: 'uuid' })
  shopId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  unit: string;

  /** The shop's own item code (货号), unique in the shop when given. */
  @Column({ type: 'text', nullable: true })
  code: string | null;

  /** The barcode printed on the goods (EAN-13 etc.), what a scanner types; unique in the shop. */
  @Column({ type: 'text', nullable: true })
  barcode: string | null;

  @Column({ name: 'price_points', type: 'integer' })
  pricePoints: number;

  @Column({ type: 'integer', default: 0 })
  stock: number;

  @Column({ type: 'boolean', default: true })
  active: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** Every stock change with who and why (append-only): received, written off, redeemed, voided. */
@Entity({ name: 'stock_movements' })
@Index('ix_stock_movements_goods', ['goodsId', 'at'])
@Check('ck_stock_movements_kind', `kind IN ('received','written_off','redeemed','voided','counted')`)
export class StockMovement {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'shop_id', type: 'uuid' })
  shopId: string;

  @Column({ name: 'goods_id', type: 'uuid' })
  goodsId: string;

  @Column({ type: 'text' })
  kind: 'received' | 'written_off' | 'redeemed' | 'voided' | 'counted';

  /** Signed: + into stock, − out of stock (a count correction: counted − stock before). */
  @Column({ type: 'integer' })
  quantity: number;

  @Column({ type: 'text', nullable: true })
  reason: string | null;

  @Column({ name: 'actor', type: 'text' })
  actor: string;

  @Column({ name: 'redemption_id', type: 'uuid', nullable: true })
  redemptionId: string | null;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;
}

/** A redemption at a terminal: immutable once written (a void is its own row). */
@Entity({ name: 'redemptions' })
@Index('uq_redemptions_receipt_no', ['receiptNo', 'townId'], { unique: true })
@Unique('uq_redemptions_terminal_key', ['terminalId', 'idempotencyKey', 'townId'])
@Index('ix_redemptions_shop_at', ['shopId', 'createdAt'])
@Index('ix_redemptions_resident', ['residentId'])
export class Redemption {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'shop_id', type: 'uuid' })
  shopId: string;

  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ name: 'resident_id', type: 'uuid' })
  residentId: string;

  @Column({ name: 'terminal_id', type: 'uuid' })
  terminalId: string;

  /** The shop clerk signed in at the till, when the terminal had one (paired tills always do). */
  @Column({ name: 'clerk_id', type: 'uuid', nullable: true })
  clerkId: string | null;

  @Column({ name: 'receipt_no', type: 'text' })
  receiptNo: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey: string;

  @Column({ name: 'request_hash', type: 'text' })
  requestHash: string;

  @Column({ type: 'jsonb' })
  lines: Array<{ goodsId: string; name: string; unit: string; quantity: number; pricePoints: number; points: number }>;

  @Column({ name: 'total_points', type: 'integer' })
  totalPoints: number;

  @Column({ name: 'balance_after', type: 'integer' })
  balanceAfter: number;

  @Column({ name: 'posting_id', type: 'bigint' })
  postingId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** The void of a redemption (same day, with reason): at most one per redemption. */
@Entity({ name: 'redemption_voids' })
export class RedemptionVoid {
  @PrimaryColumn({ name: 'redemption_id', type: 'uuid' })
  redemptionId: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ type: 'text' })
  actor: string;

  /** The terminal the void was made at, if any (the actor is then its signed-in clerk, if any). */
  @Column({ name: 'terminal_id', type: 'uuid', nullable: true })
  terminalId: string | null;

  @Column({ name: 'posting_id', type: 'bigint' })
  postingId: string;

  @Column({ name: 'balance_after', type: 'integer' })
  balanceAfter: number;

  @CreateDateColumn({ name: 'voided_at', type: 'timestamptz' })
  voidedAt: Date;
}
