import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import { ROLES } from './auth.entities';
import { Ctx, Public, PublicCtx, Roles, TerminalAuth } from './auth.decorators';
import {
  CreatedTerminalDto,
  CreatePairingDto,
  CreateStaffDto,
  CreateTerminalDto,
  IdParam,
  LoginDto,
  LoginResultDto,
  PairDto,
  PairedTerminalDto,
  PairingCodeDto,
  RefreshDto,
  ShopIdParam,
  StaffDto,
  TerminalDto,
  TerminalMeDto,
  TokenPairDto,
} from './auth.dto';
import { AuthService } from './auth.service';
import { PairingService } from './pairing.service';
import type { PublicContext, RequestContext, TerminalPrincipal } from './principal';
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
  login(@Body() dto: LoginDto, @PublicCtx() ctx: PublicContext): Promise<LoginResultDto> {
    return this.auth.login(dto.username, dto.password, ctx.requestId);
  }

  @Post('refresh')
  @HttpCode(200)
  @Public()
  @ApiOperation({ summary: '用刷新令牌换新令牌（一次性；重复使用会吊销整组）' })
  refresh(@Body() dto: RefreshDto): Promise<TokenPairDto> {
    return this.auth.refresh(dto.refreshToken);
  }

  @Post('logout')
  @HttpCode(204)
  @Public()
  @ApiOperation({ summary: '注销：吊销刷新令牌' })
  async logout(@Body() dto: RefreshDto): Promise<void> {
    await this.auth.logout(dto.refreshToken);
  }

  @Get('me')
  @Roles(...ROLES)
  @ApiOperation({ summary: '当前登录的工作人员' })
  me(@Ctx() ctx: RequestContext) {
    return ctx.principal;
  }
}

@ApiTags('staff 工作人员')
@Controller()
export class StaffController {
  constructor(private readonly staff: StaffService) {}

  @Post('staff')
  @Roles('town_admin')
  @ApiOperation({ summary: '新建工作人员（本镇）' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateStaffDto): Promise<StaffDto> {
    return this.staff.createStaff(ctx, dto);
  }

  @Get('staff')
  @Roles('town_admin', 'auditor')
  @ApiOperation({ summary: '本镇工作人员列表' })
  list(@Ctx() ctx: RequestContext): Promise<StaffDto[]> {
    return this.staff.listStaff(ctx);
  }

  @Post('staff/:id/deactivate')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiOperation({ summary: '停用工作人员账号' })
  deactivate(@Ctx() ctx: RequestContext, @Param() p: IdParam): Promise<StaffDto> {
    return this.staff.setActive(ctx, p.id, false);
  }

  @Post('staff/:id/activate')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiOperation({ summary: '重新启用工作人员账号' })
  activate(@Ctx() ctx: RequestContext, @Param() p: IdParam): Promise<StaffDto> {
    return this.staff.setActive(ctx, p.id, true);
  }

  @Post('shops/:shopId/terminals')
  @Roles('town_admin')
  @ApiOperation({ summary: '为信义超市新建终端；API 密钥只显示这一次' })
  @ApiCreatedResponse({ type: CreatedTerminalDto })
  createTerminal(@Ctx() ctx: RequestContext, @Param() p: ShopIdParam, @Body() dto: CreateTerminalDto): Promise<CreatedTerminalDto> {
    return this.staff.createTerminal(ctx, p.shopId, dto.name);
  }

  @Get('shops/:shopId/terminals')
  @Roles('town_admin', 'auditor', 'shop_clerk')
  @ApiOperation({ summary: '超市的终端列表（不含密钥）' })
  @ApiOkResponse({ type: [TerminalDto] })
  listTerminals(@Ctx() ctx: RequestContext, @Param() p: ShopIdParam): Promise<TerminalDto[]> {
    return this.staff.listTerminals(ctx, p.shopId);
  }

  @Post('terminals/:id/revoke')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiOperation({ summary: '吊销终端密钥' })
  @ApiOkResponse({ type: TerminalDto })
  revokeTerminal(@Ctx() ctx: RequestContext, @Param() p: IdParam): Promise<TerminalDto> {
    return this.staff.revokeTerminal(ctx, p.id);
  }
}

/** Pairing a browser as a terminal (a one-time code from the town admin) and the till asking who it is. */
@ApiTags('terminal 超市终端')
@Controller()
export class TerminalPairingController {
  constructor(private readonly pairing: PairingService) {}

  @Post('shops/:shopId/terminal-pairings')
  @Roles('town_admin')
  @ApiOperation({ summary: '生成一次性配对码（10 分钟内有效，只能用一次）：收银台页面输入后即成为本超市的终端' })
  @ApiCreatedResponse({ type: PairingCodeDto })
  createPairing(@Ctx() ctx: RequestContext, @Param() p: ShopIdParam, @Body() dto: CreatePairingDto): Promise<PairingCodeDto> {
    return this.pairing.create(ctx, p.shopId, dto.terminalName);
  }

  @Post('terminals/pair')
  @HttpCode(200)
  @Public()
  @UseGuards(ThrottlerGuard)
  @SkipThrottle({ objection: true })
  @ApiOperation({ summary: '用配对码配对本设备：返回终端密钥（只返回这一次；按 IP 限流，与登录同一限额）' })
  @ApiOkResponse({ type: PairedTerminalDto })
  pair(@PublicCtx() ctx: PublicContext, @Body() dto: PairDto): Promise<PairedTerminalDto> {
    return this.pairing.pair(ctx, dto.code);
  }

  @Get('terminal/me')
  @TerminalAuth({ clerkOptional: true })
  @ApiOperation({ summary: '本终端是谁：超市、终端名称、服务的村；带店员令牌时还有店员' })
  @ApiOkResponse({ type: TerminalMeDto })
  me(@Ctx() ctx: RequestContext): Promise<TerminalMeDto> {
    return this.pairing.me(ctx.principal as TerminalPrincipal);
  }
}
