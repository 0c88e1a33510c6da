import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '@app/common/errors/api-errors';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import { ROLES } from './auth.entities';
import { Ctx, Public, PublicCtx, Roles } from './auth.decorators';
import {
  CreatedTerminalDto,
  CreateStaffDto,
  CreateTerminalDto,
  IdParam,
  LoginDto,
  LoginResultDto,
  MeDto,
  RefreshDto,
  ShopIdParam,
  StaffDto,
  TerminalDto,
  TokenPairDto,
} from './auth.dto';
import { AuthService } from './auth.service';
import type { PublicContext, RequestContext } from './principal';
import { StaffService } from './staff.service';

@ApiTags('auth 登录')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @Public()
  @UseGuards(ThrottlerGuard)
  @SkipThrottle({ objection: true })
  @ApiOperation({ summary: '工作人员登录：返回访问令牌与刷新令牌（按 IP 限流，连续失败 5 次锁定 15 分钟）' })
  @ApiOkResponse({ type: LoginResultDto })
  @ApiErrors('AUTH.INVALID_CREDENTIALS', 'AUTH.ACCOUNT_LOCKED', 'AUTH.ACCOUNT_DISABLED', 'RATE.LIMITED')
  login(@Body() dto: LoginDto, @PublicCtx() ctx: PublicContext): Promise<LoginResultDto> {
    return this.auth.login(dto.username, dto.password, ctx.requestId);
  }

  @Post('refresh')
  @HttpCode(200)
  @Public()
  @ApiOperation({ summary: '用刷新令牌换新令牌（一次性；重复使用会吊销整组）' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrors('AUTH.INVALID_TOKEN')
  refresh(@Body() dto: RefreshDto): Promise<TokenPairDto> {
    return this.auth.refresh(dto.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @Public()
  @ApiOperation({ summary: '注销：吊销刷新令牌' })
  @ApiNoContentResponse({ description: '已注销（令牌未知或已吊销时同样 204）' })
  async logout(@Body() dto: RefreshDto): Promise<void> {
    await this.auth.logout(dto.refreshToken);
  }

  @Get('me')
  @Roles(...ROLES)
  @ApiOperation({ summary: '当前登录的工作人员' })
  @ApiOkResponse({ type: MeDto })
  me(@Ctx() ctx: RequestContext): MeDto {
    return ctx.principal as MeDto;
  }
}

@ApiTags('staff 工作人员')
@Controller()
export class StaffController {
  constructor(private readonly staff: StaffService) {}

  @Post('staff')
  @Roles('town_admin')
  @ApiOperation({ summary: '新建工作人员（本镇）' })
  @ApiCreatedResponse({ type: StaffDto })
  @ApiErrors('STAFF.USERNAME_TAKEN', 'STAFF.INVALID_SCOPE', 'ORG.VILLAGE_NOT_FOUND', 'SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateStaffDto): Promise<StaffDto> {
    return this.staff.createStaff(ctx, dto);
  }

  @Get('staff')
  @Roles('town_admin', 'auditor')
  @ApiOperation({ summary: '本镇工作人员列表' })
  @ApiOkResponse({ type: [StaffDto] })
  list(@Ctx() ctx: RequestContext): Promise<StaffDto[]> {
    return this.staff.listStaff(ctx);
  }

  @Post('staff/:id/deactivate')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiOperation({ summary: '停用工作人员账号' })
  @ApiOkResponse({ type: StaffDto })
  @ApiErrors('STAFF.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  deactivate(@Ctx() ctx: RequestContext, @Param() p: IdParam): Promise<StaffDto> {
    return this.staff.setActive(ctx, p.id, false);
  }

  @Post('staff/:id/activate')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiOperation({ summary: '重新启用工作人员账号' })
  @ApiOkResponse({ type: StaffDto })
  @ApiErrors('STAFF.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  activate(@Ctx() ctx: RequestContext, @Param() p: IdParam): Promise<StaffDto> {
    return this.staff.setActive(ctx, p.id, true);
  }

  @Post('shops/:shopId/terminals')
  @Roles('town_admin')
  @ApiOperation({ summary: '为信义超市新建终端；API 密钥只显示这一次' })
  @ApiCreatedResponse({ type: CreatedTerminalDto })
  @ApiErrors('SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  createTerminal(@Ctx() ctx: RequestContext, @Param() p: ShopIdParam, @Body() dto: CreateTerminalDto): Promise<CreatedTerminalDto> {
    return this.staff.createTerminal(ctx, p.shopId, dto.name);
  }

  @Get('shops/:shopId/terminals')
  @Roles('town_admin', 'auditor', 'shop_clerk')
  @ApiOperation({ summary: '超市的终端列表（不含密钥）' })
  @ApiOkResponse({ type: [TerminalDto] })
  @ApiErrors('SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  listTerminals(@Ctx() ctx: RequestContext, @Param() p: ShopIdParam): Promise<TerminalDto[]> {
    return this.staff.listTerminals(ctx, p.shopId);
  }

  @Post('terminals/:id/revoke')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiOperation({ summary: '吊销终端密钥' })
  @ApiOkResponse({ type: TerminalDto })
  @ApiErrors('TERMINAL.NOT_FOUND', 'SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
  revokeTerminal(@Ctx() ctx: RequestContext, @Param() p: IdParam): Promise<TerminalDto> {
    return this.staff.revokeTerminal(ctx, p.id);
  }
}
