import { Body, Controller, Get, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply as Response, FastifyRequest as Request } from 'fastify';
import { ApiErrors } from '@app/common/errors/api-errors';
import { AppError } from '@app/common/errors/app-error';
import { AppConfig } from '@app/config/app-config';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import { ROLES } from './auth.entities';
import { Ctx, DuringPasswordChange, Public, PublicCtx, Roles, TerminalAuth } from './auth.decorators';
import {
  ChangePasswordDto,
  CreatedTerminalDto,
  CreatePairingDto,
  CreateStaffDto,
  CreateTerminalDto,
  IdParam,
  LoginDto,
  LoginResultDto,
  MeDto,
  PairDto,
  PairedTerminalDto,
  PairingCodeDto,
  PasswordResetDto,
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
import { clearRefreshCookie, CONSOLE_HEADER, hasConsoleHeader, readRefreshCookie, REFRESH_COOKIE, REFRESH_COOKIE_PATH, setRefreshCookie } from './refresh-cookie';
import { StaffService } from './staff.service';

const SET_COOKIE = {
  'Set-Cookie': {
    description: `控制台会话（client=console，或用 Cookie 刷新/注销）：${REFRESH_COOKIE}=<刷新令牌>; HttpOnly; SameSite=Strict; Path=${REFRESH_COOKIE_PATH}（https 时加 Secure）；注销或刷新失败时清除`,
    schema: { type: 'string' as const },
  },
};

@ApiTags('auth 登录')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly config: AppConfig,
  ) {}

  @Post('login')
  @HttpCode(200)
  @Public()
  @UseGuards(ThrottlerGuard)
  @SkipThrottle({ objection: true })
  @ApiOperation({ summary: '工作人员登录：返回访问令牌与刷新令牌（按 IP 限流；同一用户名+客户端连续失败 3 次后逐次延迟，429 并给出 Retry-After，不锁定账号）；client=console 时刷新令牌只放在 httpOnly Cookie' })
  @ApiOkResponse({ type: LoginResultDto, headers: SET_COOKIE })
  @ApiErrors('AUTH.INVALID_CREDENTIALS', 'AUTH.LOGIN_THROTTLED', 'AUTH.ACCOUNT_DISABLED', 'RATE.LIMITED')
  async login(@Body() dto: LoginDto, @PublicCtx() ctx: PublicContext, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<LoginResultDto> {
    const result = await this.auth.login(dto.username, dto.password, ctx);
    if (dto.client !== 'console') return result;
    return this.toCookie(req, res, result);
  }

  @Post('refresh')
  @HttpCode(200)
  @Public()
  @ApiOperation({ summary: '用刷新令牌换新令牌（一次性；重复使用会吊销整组）。API 客户端放在请求体；控制台不带请求体，用 Cookie 并带 x-xinyi-console 请求头' })
  @ApiHeader({ name: CONSOLE_HEADER, required: false, description: '用 Cookie 中的刷新令牌时必填（任意非空值，如 1）' })
  @ApiOkResponse({ type: TokenPairDto, headers: SET_COOKIE })
  @ApiErrors('AUTH.INVALID_TOKEN', 'AUTH.CONSOLE_HEADER_REQUIRED')
  async refresh(@Body() dto: RefreshDto, @PublicCtx() ctx: PublicContext, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<TokenPairDto> {
    if (dto.refreshToken) return this.auth.refresh(dto.refreshToken, ctx.requestId);
    const token = this.cookieToken(req);
    try {
      return this.toCookie(req, res, await this.auth.refresh(token, ctx.requestId));
    } catch (err) {
      // A refused cookie (expired, reused, ended) is no use to keep.
      clearRefreshCookie(req, res);
      throw err;
    }
  }

  @Post('logout')
  @HttpCode(204)
  @Public()
  @ApiOperation({ summary: '注销：结束会话，刷新令牌与访问令牌立即失效（请求体中的，或控制台 Cookie 中的，并清除 Cookie）' })
  @ApiHeader({ name: CONSOLE_HEADER, required: false, description: '用 Cookie 中的刷新令牌时必填' })
  @ApiNoContentResponse({ description: '已注销（令牌未知或已吊销时同样 204）', headers: SET_COOKIE })
  @ApiErrors('AUTH.CONSOLE_HEADER_REQUIRED')
  async logout(@Body() dto: RefreshDto, @PublicCtx() ctx: PublicContext, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    if (dto.refreshToken) {
      await this.auth.logout(dto.refreshToken, ctx.requestId);
      return;
    }
    const token = this.cookieToken(req);
    clearRefreshCookie(req, res);
    await this.auth.logout(token, ctx.requestId);
  }

  /** The console's refresh token: from its cookie, and only with the console header (CSRF). */
  private cookieToken(req: Request): string {
    const token = readRefreshCookie(req);
    // As before the cookie existed: a request without any token is a bad request.
    if (!token) throw new AppError('VALIDATION.FAILED', undefined, [{ field: 'refreshToken', constraints: { required: 'refreshToken is required (or the console cookie)' } }]);
    if (!hasConsoleHeader(req)) throw new AppError('AUTH.CONSOLE_HEADER_REQUIRED');
    return token;
  }

  /** Moves the refresh token from the body into the httpOnly cookie. */
  private toCookie<T extends TokenPairDto>(req: Request, res: Response, result: T): Omit<T, 'refreshToken'> {
    const { refreshToken, ...rest } = result;
    setRefreshCookie(req, res, refreshToken as string, this.config.get('JWT_REFRESH_TTL_SECONDS'));
    return rest;
  }

  @Post('password')
  @HttpCode(200)
  @Roles(...ROLES)
  @DuringPasswordChange()
  @ApiOperation({ summary: '修改密码：结束本人所有会话（含其他设备），返回新会话的令牌' })
  @ApiOkResponse({ type: TokenPairDto })
  @ApiErrors('AUTH.WRONG_PASSWORD', 'AUTH.PASSWORD_UNCHANGED')
  changePassword(@Ctx() ctx: RequestContext, @Body() dto: ChangePasswordDto): Promise<TokenPairDto> {
    return this.auth.changePassword(ctx, dto.currentPassword, dto.newPassword);
  }

  @Get('me')
  @Roles(...ROLES)
  @DuringPasswordChange()
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

  @Post('staff/:id/password-reset')
  @HttpCode(200)
  @Roles('town_admin')
  @ApiOperation({ summary: '重置工作人员密码：生成一次性密码（只显示这一次），其所有登录立即失效，下次登录须先改密码' })
  @ApiOkResponse({ type: PasswordResetDto })
  @ApiErrors('STAFF.NOT_FOUND', 'AUTH.OUT_OF_SCOPE', 'STAFF.SELF_RESET')
  resetPassword(@Ctx() ctx: RequestContext, @Param() p: IdParam): Promise<PasswordResetDto> {
    return this.staff.resetPassword(ctx, p.id);
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

/** Pairing a browser as a terminal (a one-time code from the town admin) and the till asking who it is. */
@ApiTags('terminal 超市终端')
@Controller()
export class TerminalPairingController {
  constructor(private readonly pairing: PairingService) {}

  @Post('shops/:shopId/terminal-pairings')
  @Roles('town_admin')
  @ApiOperation({ summary: '生成一次性配对码（10 分钟内有效，只能用一次）：收银台页面输入后即成为本超市的终端' })
  @ApiCreatedResponse({ type: PairingCodeDto })
  @ApiErrors('SHOP.NOT_FOUND', 'AUTH.OUT_OF_SCOPE')
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
  @ApiErrors('TERMINAL.PAIRING_CODE_INVALID', 'TERMINAL.PAIRING_CODE_USED', 'TERMINAL.PAIRING_CODE_EXPIRED', 'RATE.LIMITED')
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
