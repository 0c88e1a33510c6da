import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryOne, queryRows, type Db } from '@app/database/sql';
import type { ItemCaps, Rule } from '@app/scoring/rules/rule.types';

export interface VersionRow {
  id: string;
  code: string;
  name: string;
  description: string;
  trustItems: number;
  breachItems: number;
  createdAt: Date;
}

export interface AdoptionRow {
  versionId: string;
  versionCode: string;
  effectiveFrom: string;
  adoptedAt: Date;
}

export interface ItemRow {
  id: string;
  versionId: string | null;
  villageId: string | null;
  code: string;
  category: string;
  name: string;
  description: string;
  sign: 1 | -1;
  rule: Rule;
  caps: ItemCaps | null;
  /** Village items only: the day from which the item is retired (YYYY-MM-DD), else null. */
  retiredOn: string | null;
}

export interface ItemFilter {
  q?: string;
  code?: string;
  category?: string;
  sign?: 1 | -1;
}

const ITEM_COLUMNS = `id, version_id AS "versionId", village_id AS "villageId", code, category, name, description, sign, rule, caps,
  (SELECT to_char(r.retired_on, 'YYYY-MM-DD') FROM catalog_item_retirements r WHERE r.item_id = catalog_items.id) AS "retiredOn"`;
/** The item is usable on the date $n: not retired on or before it. */
const NOT_RETIRED_ON = (param: string) => `NOT EXISTS (SELECT 1 FROM catalog_item_retirements r WHERE r.item_id = catalog_items.id AND r.retired_on <= ${param}::date)`;
const ADOPTION_COLUMNS = `a.version_id AS "versionId", v.code AS "versionCode", to_char(a.effective_from, 'YYYY-MM-DD') AS "effectiveFrom", a.adopted_at AS "adoptedAt"`;

@Injectable()
export class CatalogRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  listVersions(): Promise<VersionRow[]> {
    return queryRows<VersionRow>(
      this.db,
      `SELECT v.id, v.code, v.name, v.description, v.created_at AS "createdAt",
         count(i.id) FILTER (WHERE i.sign = 1)::int AS "trustItems", count(i.id) FILTER (WHERE i.sign = -1)::int AS "breachItems"
       FROM catalog_versions v LEFT JOIN catalog_items i ON i.version_id = v.id
       GROUP BY v.id ORDER BY v.created_at, v.code`,
    );
  }

  findVersionByCode(code: string, db: Db = this.db): Promise<{ id: string; code: string } | null> {
    return queryOne(db, `SELECT id, code FROM catalog_versions WHERE code = $1`, [code]);
  }

  listAdoptions(townId: string): Promise<AdoptionRow[]> {
    return queryRows<AdoptionRow>(
      this.db,
      `SELECT ${ADOPTION_COLUMNS} FROM catalog_adoptions a JOIN catalog_versions v ON v.id = a.version_id WHERE a.town_id = $1 ORDER BY a.effective_from`,
      [townId],
    );
  }

  /** The latest adoption on or before `date` (YYYY-MM-DD). */
  adoptionInForce(townId: string, date: string, db: Db = this.db): Promise<AdoptionRow | null> {
    return queryOne<AdoptionRow>(
      db,
      `SELECT ${ADOPTION_COLUMNS} FROM catalog_adoptions a JOIN catalog_versions v ON v.id = a.version_id
       WHERE a.town_id = $1 AND a.effective_from <= $2::date ORDER BY a.effective_from DESC LIMIT 1`,
      [townId, date],
    );
  }

  async insertAdoption(m: EntityManager, townId: string, versionId: string, effectiveFrom: string, adoptedBy: string): Promise<{ id: string; adoptedAt: Date }> {
    const row = await queryOne<{ id: string; adoptedAt: Date }>(
      m,
      `INSERT INTO catalog_adoptions (town_id, version_id, effective_from, adopted_by) VALUES ($1, $2, $3, $4) RETURNING id, adopted_at AS "adoptedAt"`,
      [townId, versionId, effectiveFrom, adoptedBy],
    );
    return row as { id: string; adoptedAt: Date };
  }

  /** Items of a version plus, when `villageId` is given, that village's own items not retired on `date`. */
  listItems(versionId: string, villageId: string | null, f: ItemFilter, date: string): Promise<ItemRow[]> {
    return queryRows<ItemRow>(
      this.db,
      `SELECT ${ITEM_COLUMNS} FROM catalog_items
       WHERE (version_id = $1 OR ($2::uuid IS NOT NULL AND village_id = $2)) AND ${NOT_RETIRED_ON('$7')}
         AND ($3::text IS NULL OR strpos(name, $3) > 0 OR strpos(description, $3) > 0)
         AND ($4::text IS NULL OR code = $4) AND ($5::text IS NULL OR category = $5) AND ($6::smallint IS NULL OR sign = $6)
       ORDER BY village_id NULLS FIRST, sign DESC, code`,
      [versionId, villageId, f.q ?? null, f.code ?? null, f.category ?? null, f.sign ?? null, date],
    );
  }

  /**
   * The version's item with this code, else the village's own (codes never clash: V.. vs T../B..),
   * as in force on `date`: a village item retired on or before it is not found.
   */
  findItem(versionId: string, villageId: string | null, code: string, date: string): Promise<ItemRow | null> {
    return queryOne<ItemRow>(
      this.db,
      `SELECT ${ITEM_COLUMNS} FROM catalog_items WHERE code = $3 AND (version_id = $1 OR ($2::uuid IS NOT NULL AND village_id = $2)) AND ${NOT_RETIRED_ON('$4')}
       ORDER BY village_id NULLS FIRST LIMIT 1`,
      [versionId, villageId, code, date],
    );
  }

  /** A village's own item by id, retired or not. */
  findVillageItem(m: EntityManager, villageId: string, id: string): Promise<ItemRow | null> {
    return queryOne<ItemRow>(m, `SELECT ${ITEM_COLUMNS} FROM catalog_items WHERE id = $1 AND village_id = $2`, [id, villageId]);
  }

  async insertRetirement(m: EntityManager, r: { itemId: string; townId: string; villageId: string; retiredOn: string; reason: string; retiredBy: string }): Promise<void> {
    await m.query(
      `INSERT INTO catalog_item_retirements (item_id, town_id, village_id, retired_on, reason, retired_by) VALUES ($1, $2, $3, $4, $5, $6)`,
      [r.itemId, r.townId, r.villageId, r.retiredOn, r.reason, r.retiredBy],
    );
  }

  /** Every item of the village, retired ones included (they carry retiredOn). */
  listVillageItems(villageId: string): Promise<ItemRow[]> {
    return queryRows<ItemRow>(this.db, `SELECT ${ITEM_COLUMNS} FROM catalog_items WHERE village_id = $1 ORDER BY sign DESC, code`, [villageId]);
  }

  /** Serialises item creation per village, so two requests cannot both take the last free slot. */
  async lockVillage(m: EntityManager, villageId: string): Promise<void> {
    await m.query(`SELECT 1 FROM villages WHERE id = $1 FOR UPDATE`, [villageId]);
  }

  /** Items that count toward the town's limits: those not retired on `date`. */
  async countVillageItems(m: EntityManager, villageId: string, date: string): Promise<{ bonus: number; penalty: number }> {
    const row = await queryOne<{ bonus: number; penalty: number }>(
      m,
      `SELECT count(*) FILTER (WHERE sign = 1)::int AS bonus, count(*) FILTER (WHERE sign = -1)::int AS penalty FROM catalog_items
       WHERE village_id = $1 AND ${NOT_RETIRED_ON('$2')}`,
      [villageId, date],
    );
    return row ?? { bonus: 0, penalty: 0 };
  }

  async villageItemCodeTaken(m: EntityManager, villageId: string, code: string): Promise<boolean> {
    return (await queryOne(m, `SELECT 1 FROM catalog_items WHERE village_id = $1 AND code = $2`, [villageId, code])) !== null;
  }

  async insertVillageItem(
    m: EntityManager,
    i: Omit<ItemRow, 'id' | 'versionId' | 'retiredOn'> & { townId: string; villageId: string; createdBy: string },
  ): Promise<ItemRow> {
    const row = await queryOne<ItemRow>(
      m,
      `INSERT INTO catalog_items (version_id, town_id, village_id, code, category, name, description, sign, rule, caps, created_by)
       VALUES (NULL, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${ITEM_COLUMNS}`,
      [i.townId, i.villageId, i.code, i.category, i.name, i.description, i.sign, JSON.stringify(i.rule), i.caps ? JSON.stringify(i.caps) : null, i.createdBy],
    );
    return row as ItemRow;
  }
}
