import { Body, Controller, Get, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, Roles } from '@app/auth/auth.decorators';
import type { RequestContext } from '@app/auth/principal';
import { CreateShopDto, ShopDto } from './shop.dto';
import { ShopService } from './shop.service';

@ApiTags('shops 信义超市')
@Controller('shops')
export class ShopController {
  constructor(private readonly shops: ShopService) {}

  @Post()
  @Roles('town_admin')
  @ApiOperation({ summary: '新建信义超市及其服务的村' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateShopDto): Promise<ShopDto> {
    return this.shops.create(ctx, dto);
  }

  @Get()
  @Roles('town_admin', 'auditor')
  @ApiOperation({ summary: '本镇信义超市列表' })
  list(@Ctx() ctx: RequestContext): Promise<ShopDto[]> {
    return this.shops.list(ctx);
  }
}
