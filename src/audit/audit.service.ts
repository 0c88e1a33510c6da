import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { PublicContext, RequestContext } from '@app/auth/principal';

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
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async record(ctx: RequestContext | null, rec: AuditRecord, manager?: EntityManager): Promise<void> {
    const v = auditRow(ctx, rec);
    await (manager ?? this.db.manager).query(
      `INSERT INTO audit_log (town_id, actor_type, actor_id, actor_role, action, target_type, target_id, request_id, summary)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [v.townId, v.actorType, v.actorId, v.actorRole, v.action, v.targetType, v.targetId, v.requestId, v.summary],
    );
  }

  /** A write by the public (an objection): no staff actor, the client address instead. */
  async recordPublic(pub: PublicContext, townId: string, rec: AuditRecord, manager?: EntityManager): Promise<void> {
    await (manager ?? this.db.manager).query(
      `INSERT INTO audit_log (town_id, actor_type, actor_id, action, target_type, target_id, request_id, summary)
       VALUES ($1, 'public', $2, $3, $4, $5, $6, $7)`,
      [townId, pub.clientIp, rec.action, rec.targetType ?? null, rec.targetId ?? null, pub.requestId, rec.summary ? JSON.stringify(rec.summary) : null],
    );
  }
}

/**
 * The column values of a staff or terminal audit row: for a write that records its audit row in
 * its own statement (a shop redemption), so who-did-what is worked out in one place.
 */
export function auditRow(ctx: RequestContext | null, rec: AuditRecord) {
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
    summary: rec.summary ? JSON.stringify(rec.summary) : null,
  };
}
