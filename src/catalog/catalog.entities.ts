import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { ItemCaps, Rule } from '@app/scoring/rules/rule.types';

/** A published set of items. Items of a version never change (a trigger refuses it). */
@Entity({ name: 'catalog_versions' })
export class CatalogVersion {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index({ unique: true })
  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  description: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/**
 * One exact item version: an item of a catalogue version, or a village's own item (village_id
 * set, version_id null). Entries reference this row, so the points rule they were scored by is
 * always known.
 */
@Entity({ name: 'catalog_items' })
@Unique('uq_catalog_items_version_code', ['versionId', 'code'])
@Index('uq_catalog_items_village_code', ['villageId', 'code'], { unique: true, where: 'village_id IS NOT NULL' })
@Check('ck_catalog_items_owner', '(version_id IS NULL) <> (village_id IS NULL)')
@Check('ck_catalog_items_sign', 'sign IN (1, -1)')
export class CatalogItem {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'version_id', type: 'uuid', nullable: true })
  versionId: string | null;

  @Column({ name: 'town_id', type: 'uuid', nullable: true })
  townId: string | null;

  @Column({ name: 'village_id', type: 'uuid', nullable: true })
  villageId: string | null;

  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'text' })
  category: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  description: string;

  @Column({ type: 'smallint' })
  sign: 1 | -1;

  @Column({ type: 'jsonb' })
  rule: Rule;

  @Column({ type: 'jsonb', nullable: true })
  caps: ItemCaps | null;

  @Column({ name: 'created_by', type: 'uuid', nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}

/** A town adopts a version from a date; the latest adoption on or before a date is in force. */
@Entity({ name: 'catalog_adoptions' })
@Unique('uq_catalog_adoptions_town_from', ['townId', 'effectiveFrom'])
export class CatalogAdoption {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Column({ name: 'version_id', type: 'uuid' })
  versionId: string;

  @Column({ name: 'effective_from', type: 'date' })
  effectiveFrom: string;

  @Column({ name: 'adopted_by', type: 'uuid', nullable: true })
  adoptedBy: string | null;

  @CreateDateColumn({ name: 'adopted_at', type: 'timestamptz' })
  adoptedAt: Date;
}

/**
 * A village item taken out of use from a date (catalog_items is append-only, so retiring is a row
 * of its own, append-only too). From `retiredOn` on the item scores no new entries and no longer
 * counts toward the town's limit of village items; its code is never given to another item.
 */
@Entity({ name: 'catalog_item_retirements' })
export class CatalogItemRetirement {
  @PrimaryColumn({ name: 'item_id', type: 'uuid' })
  itemId: string;

  @PrimaryColumn({ name: 'town_id', type: 'uuid' })
  townId: string;

  @Index('ix_catalog_item_retirements_village')
  @Column({ name: 'village_id', type: 'uuid' })
  villageId: string;

  @Column({ name: 'retired_on', type: 'date' })
  retiredOn: string;

  @Column({ type: 'text' })
  reason: string;

  @Column({ name: 'retired_by', type: 'uuid' })
  retiredBy: string;

  @CreateDateColumn({ name: 'retired_at', type: 'timestamptz' })
  retiredAt: Date;
}
