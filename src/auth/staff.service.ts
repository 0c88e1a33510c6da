import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit/audit.service';
import { AppError } from '@app/common/errors/app-error';
import { isUniqueViolation } from '@app/common/idempotency';
import { newApiKey } from './api-key';
import { AuthRepository, type StaffRow, type TerminalRow } from './auth.repository';
import { AuthService } from './auth.service';
import type { CreateStaffDto, PasswordResetDto, StaffDto, TerminalDto, CreatedTerminalDto } from './auth.dto';
import { oneTimePassword } from './one-time-password';
import type { RequestContext } from './principal';
import { ScopeService } from './scope.service';

/** Staff users and shop terminals of a town, managed by its town admin. */
@Injectable()
export class StaffService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
    private readonly auth: AuthService,
  ) {}

  async createStaff(ctx: RequestContext, dto: CreateStaffDto): Promise<StaffDto> {
    const villageRole = dto.role === 'village_clerk' || dto.role === 'village_reviewer';
    if (villageRole !== Boolean(dto.villageId) || (dto.role === 'shop_clerk') !== Boolean(dto.shopId)) {
      throw new AppError('STAFF.INVALID_SCOPE', undefined, { role: dto.role, needs: villageRole ? 'villageId' : dto.role === 'shop_clerk' ? 'shopId' : 'neither' });
    }
    if (dto.villageId) await this.scope.village(ctx.principal, dto.villageId);
    if (dto.shopId) await this.scope.shop(ctx.principal, dto.shopId);
    if (await this.repo.findStaffByUsername(dto.username)) throw new AppError('STAFF.USERNAME_TAKEN');
    const row = await this.repo
      .insertStaff({
        username: dto.username,
        displayName: dto.displayName,
        passwordHash: await AuthService.hashPassword(dto.password),
        role: dto.role,
        townId: ctx.principal.townId,
        villageId: dto.villageId ?? null,
        shopId: dto.shopId ?? null,
      })
      .catch((err: { code?: string }) => {
        if (isUniqueViolation(err)) throw new AppError('STAFF.USERNAME_TAKEN');
        throw err;
      });
    await this.audit.record(ctx, { action: 'staff.create', targetType: 'staff', targetId: row.id, summary: { username: row.username, role: row.role } });
    return toStaffDto(row);
  }

  async listStaff(ctx: RequestContext): Promise<StaffDto[]> {
    return (await this.repo.listStaffOfTown(ctx.principal.townId)).map(toStaffDto);
  }

  async setActive(ctx: RequestContext, id: string, active: boolean): Promise<StaffDto> {
    const row = await this.repo.findStaffById(id);
    if (!row) throw new AppError('STAFF.NOT_FOUND');
    this.scope.assertTown(ctx.principal, row.townId);
    // Deactivation ends the user's sessions: their access tokens are refused from the next request.
    await this.repo.setStaffActive(id, active);
    await this.audit.record(ctx, { action: active ? 'staff.activate' : 'staff.deactivate', targetType: 'staff', targetId: id, summary: { before: row.active, after: active } });
    return toStaffDto({ ...row, active });
  }

  /**
   * A new one-time password, answered once and never stored in clear: the user signs in with it
   * and must choose a new one first; every session of the user ends now. Not for oneself (that
   * is a password change, which needs the current password).
   */
  async resetPassword(ctx: RequestContext, id: string): Promise<PasswordResetDto> {
    const row = await this.repo.findStaffById(id);
    if (!row) throw new AppError('STAFF.NOT_FOUND');
    this.scope.assertTown(ctx.principal, row.townId);
    if (row.id === ctx.principal.id) throw new AppError('STAFF.SELF_RESET');
    const password = oneTimePassword();
    await this.repo.resetPassword(id, await AuthService.hashPassword(password));
    await this.audit.record(ctx, { action: 'staff.password_reset', targetType: 'staff', targetId: id, summary: { username: row.username } });
    return { staff: toStaffDto({ ...row, mustChangePassword: true }), oneTimePassword: password };
  }

  async createTerminal(ctx: RequestContext, shopId: string, name: string): Promise<CreatedTerminalDto> {
    const shop = await this.scope.shop(ctx.principal, shopId);
    const key = newApiKey();
    const row = await this.repo.insertTerminal({ townId: shop.townId, shopId, name, keyPrefix: key.prefix, keyHash: key.hash, createdBy: ctx.principal.id });
    await this.audit.record(ctx, { action: 'terminal.create', targetType: 'terminal', targetId: row.id, summary: { shopId, name, keyPrefix: key.prefix } });
    return { ...toTerminalDto(row), apiKey: key.key };
  }

  async listTerminals(ctx: RequestContext, shopId: string): Promise<TerminalDto[]> {
    await this.scope.shop(ctx.principal, shopId);
    return (await this.repo.listTerminalsOfShop(shopId)).map(toTerminalDto);
  }

  async revokeTerminal(ctx: RequestContext, id: string): Promise<TerminalDto> {
    const row = await this.repo.findTerminal(id);
    if (!row) throw new AppError('TERMINAL.NOT_FOUND');
    await this.scope.shop(ctx.principal, row.shopId);
    await this.repo.revokeTerminal(id);
    this.auth.forgetTerminal(id);
    await this.audit.record(ctx, { action: 'terminal.revoke', targetType: 'terminal', targetId: id });
    return toTerminalDto((await this.repo.findTerminal(id)) as TerminalRow);
  }
}

function toStaffDto(r: StaffRow): StaffDto {
  return { id: r.id, username: r.username, displayName: r.displayName, role: r.role, townId: r.townId, villageId: r.villageId, shopId: r.shopId, active: r.active, mustChangePassword: r.mustChangePassword };
}

function toTerminalDto(r: TerminalRow): TerminalDto {
  return { id: r.id, shopId: r.shopId, name: r.name, keyPrefix: r.keyPrefix, createdAt: r.createdAt, revokedAt: r.revokedAt };
}
