import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface ShopRow {
  id: string;
  townId: string;
  code: string;
  name: string;
  villageIds: string[];
}

const SHOP_SELECT = `SELECT s.id, s.town_id AS "townId", s.code, s.name,
  COALESCE(array_agg(sv.village_id ORDER BY sv.village_id) FILTER (WHERE sv.village_id IS NOT NULL), '{}') AS "villageIds"
  FROM shops s LEFT JOIN shop_villages sv ON sv.shop_id = s.id`;

@Injectable()
export class ShopRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Shop and the villages it serves, in one transaction (a shop never exists half-made). */
  async insertShop(townId: string, code: string, name: string, villageIds: string[]): Promise<ShopRow> {
    return this.db.transaction(async (m) => {
      const [row] = await m.query(`INSERT INTO shops (town_id, code, name) VALUES ($1, $2, $3) RETURNING id`, [townId, code, name]);
      if (villageIds.length) {
        await m.query(`INSERT INTO shop_villages (shop_id, village_id, town_id) SELECT $1, unnest($2::uuid[]), $3`, [row.id, villageIds, townId]);
      }
      return { id: row.id as string, townId, code, name, villageIds: [...villageIds].sort() };
    });
  }

  async listShopsOfTown(townId: string): Promise<ShopRow[]> {
    return this.db.query(`${SHOP_SELECT} WHERE s.town_id = $1 GROUP BY s.id, s.town_id ORDER BY s.code`, [townId]);
  }

  /** One shop of the town (a shop clerk's own), as a list: empty when it is not there. */
  async listOneShopOfTown(townId: string, shopId: string): Promise<ShopRow[]> {
    return this.db.query(`${SHOP_SELECT} WHERE s.town_id = $1 AND s.id = $2 GROUP BY s.id, s.town_id`, [townId, shopId]);
  }

  async countVillagesInTown(townId: string, villageIds: string[]): Promise<number> {
    const [r] = await this.db.query(`SELECT count(*)::int AS n FROM villages WHERE town_id = $1 AND id = ANY($2::uuid[])`, [townId, villageIds]);
    return r.n;
  }
}
