import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '@app/database/sql';
import { cursorAtSql, type KeysetPosition } from '@app/common/http/keyset-cursor';

export interface AuditLogFilter {
  townId: string;
  actorId?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive, ISO 8601. */
  from?: string;
  /** Exclusive, ISO 8601. */
  to?: string;
}

export interface AuditLogRow {
  id: string;
  at: Date;
  actorType: string;
  actorId: string | null;
  actorRole: string | null;
  actorName: string | null;
  actorUsername: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  summary: Record<string, unknown> | null;
  cursorAt: string;
}

/** One row of the append-only audit log as AuditService writes it. */
export interface AuditLogInsert {
  townId: string | null;
  actorType: 'staff' | 'terminal' | 'system' | 'public';
  actorId: string | null;
  actorRole: string | null;
  action: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  summary: Record<string, unknown> | null;
}

/** The append-only audit log: the one INSERT (for AuditService) and the auditors' reads. */
@Injectable()
export class AuditLogRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Pass the transaction's manager so the row commits or rolls back with the change it describes. */
  async insert(row: AuditLogInsert, manager?: EntityManager): Promise<void> {
    await (manager ?? this.db.manager).query(
      `INSERT INTO audit_log (town_id, actor_type, actor_id, actor_role, action, target_type, target_id, request_id, summary)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
      [row.townId, row.actorType, row.actorId, row.actorRole, row.action, row.targetType, row.targetId, row.requestId, row.summary ? JSON.stringify(row.summary) : null],
    );
  }

  /** Newest first, keyset on (at, id); uses ix_audit_town_at / ix_audit_actor_at / ix_audit_target. */
  search(f: AuditLogFilter, after: KeysetPosition | null, limit: number): Promise<AuditLogRow[]> {
    const params: unknown[] = [f.townId];
    const where = ['a.town_id = $1'];
    const add = (sql: (n: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    if (f.actorId) add((n) => `a.actor_id = ${n}`, f.actorId);
    if (f.action) add((n) => `a.action = ${n}`, f.action);
    if (f.targetType) add((n) => `a.target_type = ${n}`, f.targetType);
    if (f.targetId) add((n) => `a.target_id = ${n}`, f.targetId);
    if (f.from) add((n) => `a.at >= ${n}::timestamptz`, f.from);
    if (f.to) add((n) => `a.at < ${n}::timestamptz`, f.to);
    if (after) {
      params.push(after.at, after.id);
      where.push(`(a.at, a.id) < ($${params.length - 1}::timestamptz, $${params.length}::bigint)`);
    }
    params.push(limit);
    return queryRows<AuditLogRow>(
      this.db,
      `WITH page AS MATERIALIZED (
         SELECT a.* FROM audit_log a WHERE ${where.join(' AND ')} ORDER BY a.at DESC, a.id DESC LIMIT $${params.length}
       )
       SELECT page.id::text AS id, page.at, page.actor_type AS "actorType", page.actor_id AS "actorId", page.actor_role AS "actorRole",
              COALESCE(s.display_name, t.name) AS "actorName", COALESCE(s.username, t.name) AS "actorUsername", page.action, page.target_type AS "targetType", page.target_id AS "targetId",
              page.request_id AS "requestId", page.summary, ${cursorAtSql('page.at')} AS "cursorAt"
       FROM page
       LEFT JOIN staff_users s ON page.actor_type = 'staff' AND s.id::text = page.actor_id
       LEFT JOIN terminals t ON page.actor_type = 'terminal' AND t.id::text = page.actor_id
       ORDER BY page.at DESC, page.id DESC`,
      params,
    );
  }
}
