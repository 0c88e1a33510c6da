import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { PublicContext, RequestContext } from '@app/auth/principal';
import { AuditLogRepository } from './audit.repository';

export interface AuditRecord {
  action: string; // e.g. 'resident.create', 'entry.withdraw'
  targetType?: string;
  targetId?: string;
  townId?: string | null;
  summary?: Record<string, unknown>;
}

/**
 * Writes the append-only audit log. Pass the transaction's manager so the audit row commits or
 * rolls back with the change it describes.
 */
@Injectable()
export class AuditService {
  constructor(private readonly repo: AuditLogRepository) {}

  async record(ctx: RequestContext | null, rec: AuditRecord, manager?: EntityManager): Promise<void> {
    const p = ctx?.principal;
    await this.repo.insert(
      {
        townId: rec.townId ?? p?.townId ?? null,
        actorType: p ? p.kind : 'system',
        actorId: p?.id ?? null,
        actorRole: p?.kind === 'staff' ? p.role : p?.kind === 'terminal' ? 'terminal' : null,
        action: rec.action,
        targetType: rec.targetType ?? null,
        targetId: rec.targetId ?? null,
        requestId: ctx?.requestId ?? null,
        summary: rec.summary ?? null,
      },
      manager,
    );
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
      manager,
    );
  }
}
