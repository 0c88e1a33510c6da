import { Injectable } from '@nestjs/common';
import { AuditService } from '@app/audit/audit.service';
import { AppError } from '@app/common/errors/app-error';
import { newApiKey } from './api-key';
import type { PairedTerminalDto, PairingCodeDto, TerminalMeDto } from './auth.dto';
import { AuthRepository } from './auth.repository';
import { newPairingCode, normalizePairingCode, pairingCodeHash, PAIRING_CODE_TTL_MINUTES } from './pairing-code';
import type { PublicContext, RequestContext, TerminalPrincipal, TillClerk } from './principal';
import { ScopeService } from './scope.service';

/**
 * Pairing a browser as a shop terminal. A town admin makes a one-time code for a shop; the till
 * page sends it once and receives the terminal's API key, which then lives only on that device.
 * The town admin, not the shop clerk, makes codes: the town pays the shop for what its terminals
 * redeem, so the town decides which devices redeem, and a clerk who leaves cannot have paired
 * devices the town does not know of. The code is short enough to read over the phone.
 */
@Injectable()
export class PairingService {
  constructor(
    private readonly repo: AuthRepository,
    private readonly scope: ScopeService,
    private readonly audit: AuditService,
  ) {}

  async create(ctx: RequestContext, shopId: string, terminalName: string): Promise<PairingCodeDto> {
    const shop = await this.scope.shop(ctx.principal, shopId);
    const code = newPairingCode();
    // The code and its audit row commit together.
    const row = await this.repo.transaction(async (m) => {
      const r = await this.repo.insertPairing(
        { townId: shop.townId, shopId, terminalName, codeHash: pairingCodeHash(normalizePairingCode(code) as string), createdBy: ctx.principal.id, ttlMinutes: PAIRING_CODE_TTL_MINUTES },
        m,
      );
      await this.audit.record(ctx, { action: 'terminal.pairing_create', targetType: 'shop', targetId: shopId, summary: { pairingId: r.id, terminalName, expiresAt: r.expiresAt } }, m);
      return r;
    });
    return { id: row.id, shopId, terminalName, code, expiresAt: row.expiresAt };
  }

  /** Single use under the pairing row's lock: the terminal, the code's use and the audit row commit together. */
  async pair(pub: PublicContext, input: string): Promise<PairedTerminalDto> {
    const code = normalizePairingCode(input);
    if (!code) throw new AppError('TERMINAL.PAIRING_CODE_INVALID');
    const paired = await this.repo.transaction(async (m) => {
      const p = await this.repo.lockPairingByHash(m, pairingCodeHash(code));
      if (!p) throw new AppError('TERMINAL.PAIRING_CODE_INVALID');
      if (p.usedAt) throw new AppError('TERMINAL.PAIRING_CODE_USED');
      if (p.expired) throw new AppError('TERMINAL.PAIRING_CODE_EXPIRED');
      const key = newApiKey();
      const t = await this.repo.insertTerminal(
        { townId: p.townId, shopId: p.shopId, name: p.terminalName, keyPrefix: key.prefix, keyHash: key.hash, createdBy: p.createdBy, requiresClerk: true },
        m,
      );
      await this.repo.markPairingUsed(m, p.id, t.id);
      const principal: TerminalPrincipal = { kind: 'terminal', id: t.id, townId: t.townId, shopId: t.shopId, name: t.name, requiresClerk: true };
      await this.audit.record(
        { principal, requestId: pub.requestId },
        { action: 'terminal.pair', targetType: 'terminal', targetId: t.id, summary: { pairingId: p.id, shopId: p.shopId, keyPrefix: key.prefix, clientIp: pub.clientIp } },
        m,
      );
      return { id: t.id, apiKey: key.key };
    });
    return { apiKey: paired.apiKey, terminal: await this.profile(paired.id, null) };
  }

  me(t: TerminalPrincipal): Promise<TerminalMeDto> {
    return this.profile(t.id, t.clerk ?? null);
  }

  private async profile(terminalId: string, clerk: TillClerk | null): Promise<TerminalMeDto> {
    const p = await this.repo.findTerminalProfile(terminalId);
    if (!p) throw new AppError('TERMINAL.NOT_FOUND');
    return { id: p.id, name: p.name, requiresClerk: p.requiresClerk, shop: p.shop, villages: p.villages, clerk };
  }
}
