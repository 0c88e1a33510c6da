import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@app/auth/principal';
import { AppError } from '@app/common/errors/app-error';
import { fieldProblem } from '@app/common/http/validation-messages';
import { DEFAULT_PAGE, decodeCursor, page } from '@app/common/http/keyset-cursor';
import type { AuditLogPageDto, AuditLogQuery } from './audit.dto';
import { AuditLogRepository } from './audit.repository';

/** Search of the append-only audit log: the login's town only, newest first. */
@Injectable()
export class AuditLogService {
  constructor(private readonly repo: AuditLogRepository) {}

  async search(ctx: RequestContext, q: AuditLogQuery): Promise<AuditLogPageDto> {
    if (q.from && q.to && new Date(q.from).getTime() > new Date(q.to).getTime()) {
      throw new AppError('VALIDATION.FAILED', undefined, [fieldProblem('from', 'range', '不能晚于截止时间（to）', 'from must not be after to', '起始时间')]);
    }
    const limit = q.limit ?? DEFAULT_PAGE;
    const rows = await this.repo.search(
      { townId: ctx.principal.townId, actorId: q.actorId, action: q.action, targetType: q.targetType, targetId: q.targetId, from: q.from, to: q.to },
      decodeCursor(q.cursor),
      limit + 1,
    );
    return page(rows, limit);
  }
}
