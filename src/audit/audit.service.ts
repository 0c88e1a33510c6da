import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PublicContext, RequestContext } from '@app/auth/principal';
import { requireTransaction } from '@app/database/sql';
import { AuditLogRepository, type AuditLogInsert } from './audit.repository';

export type { AuditLogInsert };

export interface AuditRecord {
  action: string; // e.g. 'resident.create', 'entry.withdraw'
  targetType?: string;
  targetId?: string;
  townId?: string | null;
  summary?: Record<string, unknown>;
}

/**
 * Writes the append-only audit log. Pass the transaction's manager so the audit row commits or
 * rolls back with the change it describes; a manager given must be in an open transaction
 * (`requireTransaction`). Without one the row is written on its own (a login, a refresh).
 */
@Injectable()
export class AuditService {
  constructor(private readonly repo: AuditLogRepository) {}

  async record(ctx: RequestContext | null, rec: AuditRecord, manager?: EntityManager): Promise<void> {
    await this.repo.insert(auditRow(ctx, rec), callersTransaction(manager));
  }

  /** A write by the public (an objection): no staff actor, the client address instead. */
  async recordPublic(pub: PublicContext, townId: string, rec: AuditRecord, manager?: EntityManager): Promise<void> {
    await this.repo.insert(
      {
        townId,
        actorType: 'public',
        actorId: pub.clientIp,
        actorRole: null,
        action: rec.action,
        targetType: rec.targetType ?? null,
        targetId: rec.targetId ?? null,
        requestId: pub.requestId,
        summary: rec.summary ?? null,
      },
      callersTransaction(manager),
    );
  }
}

function callersTransaction(manager: EntityManager | undefined): EntityManager | undefined {
  return manager && requireTransaction(manager, 'an audit row given a manager');
}

/**
 * The column values of a staff or terminal audit row: for a write that records its audit row in
 * its own statement (a shop redemption), so who-did-what is worked out in one place.
 */
export function auditRow(ctx: RequestContext | null, rec: AuditRecord): AuditLogInsert {
  const p = ctx?.principal;
  return {
    townId: rec.townId ?? p?.townId ?? null,
    actorType: p ? p.kind : 'system',
    actorId: p?.id ?? null,
    actorRole: p?.kind === 'staff' ? p.role : p?.kind === 'terminal' ? 'terminal' : null,
    action: rec.action,
    targetType: rec.targetType ?? null,
    targetId: rec.targetId ?? null,
    requestId: ctx?.requestId ?? null,
    summary: rec.summary ?? null,
  };
}
