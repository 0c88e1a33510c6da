import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';

/** A village integrity supermarket (信义超市); belongs to a town, serves one or more villages. */
@Entity({ name: 'shops' })
@Unique('uq_shops_town_code', ['townId', 'code'])
export class Shop {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Index()
  @Column({ name: 'town_id', type: 'uuid' })
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
}
