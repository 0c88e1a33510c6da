import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsString, IsUUID, Matches, MaxLength, MinLength } from 'class-validator';

export class CreateShopDto {
  @ApiProperty({ description: '超市编号', example: 'S01' })
  @Matches(/^[A-Za-z0-9_-]{1,20}$/, { message: 'code must be 1–20 letters, digits, _ or -' })
  code: string;

  @ApiProperty({ description: '超市名称', example: '东村信义超市' })
  @IsString()
  @MinLength(1)
  @MaxLength(60)
  name: string;

  @ApiProperty({ description: '服务的村（至少一个）', type: [String], format: 'uuid' })
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  villageIds: string[];
}

export class ShopDto {
  @ApiProperty() id: string;
  @ApiProperty() townId: string;
  @ApiProperty({ description: '超市编号' }) code: string;
  @ApiProperty({ description: '超市名称' }) name: string;
  @ApiProperty({ type: [String], description: '服务的村' }) villageIds: string[];
}
