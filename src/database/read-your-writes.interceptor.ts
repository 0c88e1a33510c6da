import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest as Request } from 'fastify';
import { from, mergeMap, type Observable } from 'rxjs';
import type { Principal } from '@app/auth/principal';
import { ReadReplica } from './read-replica';

/**
 * With a read replica: after a successful write request by a signed-in user or a terminal, the
 * primary's WAL position is noted for them before the answer goes out, so their next read (on any
 * api process) waits for a standby that has it or goes to the primary. Without one: nothing.
 */
@Injectable()
export class ReadYourWritesInterceptor implements NestInterceptor {
  constructor(private readonly replica: ReadReplica) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.replica.configured || context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    if (req.method === 'GET' || req.method === 'HEAD') return next.handle();
    return next.handle().pipe(
      mergeMap((body) => from((async () => {
        if (req.principal) await this.replica.noteWrite(req.principal);
        return body;
      })())),
    );
  }
}
