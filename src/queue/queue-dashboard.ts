import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setCookie } from '@app/auth/refresh-cookie';
import { AuthService } from '@app/auth/auth.service';
import { GlobalExceptionFilter } from '@app/common/errors/global-exception.filter';
import { AppError } from '@app/common/errors/app-error';
import { JobQueue } from './job-queue.service';

export const DASHBOARD_PATH = '/admin/queues';
export const DASHBOARD_COOKIE = 'xinyi_queues_token';

/**
 * The console opens the dashboard for a signed-in town admin: `POST /system/queue-dashboard/session`
 * (bearer + the console header, audited) puts the admin's access token in an HttpOnly cookie sent
 * only to DASHBOARD_PATH, for as long as the token lives. Never in the URL: a URL ends up in
 * history, proxy logs and Referer headers. The token is still checked on every dashboard request
 * (signature, expiry and the live staff session), so signing out or being deactivated ends it.
 */
export function setDashboardCookie(req: FastifyRequest, res: FastifyReply, accessToken: string, maxAgeMs: number): void {
  setCookie(res, DASHBOARD_COOKIE, accessToken, { httpOnly: true, sameSite: 'strict', secure: req.protocol === 'https', path: DASHBOARD_PATH, maxAge: Math.floor(maxAgeMs / 1000) });
}

function dashboardCookie(req: FastifyRequest): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === DASHBOARD_COOKIE) return part.slice(eq + 1).trim() || undefined;
  }
  return undefined;
}

/**
 * The BullMQ dashboard (jobs, failures, retries) for town admins, read-only: the queues are the
 * deployment's, shared by every town, so a town's admin may look but not pause, clean, retry or
 * remove (reconcile re-creates what is due; see docs/ARCHITECTURE.md). Bull-board refuses those
 * actions on a read-only queue (405), and the guard lets only GET and HEAD through at all, so a
 * cross-site request could not act with the cookie even if SameSite failed.
 */
export async function mountQueueDashboard(app: NestFastifyApplication): Promise<void> {
  const auth = app.get(AuthService);
  const filter = new GlobalExceptionFilter();
  const adapter = new FastifyAdapter();
  adapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: app.get(JobQueue).allQueues().map((q) => new BullMQAdapter(q, { readOnlyMode: true })), serverAdapter: adapter });

  const guard = async (req: FastifyRequest, res: FastifyReply): Promise<FastifyReply | undefined> => {
    try {
      const header = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const token = header ?? dashboardCookie(req);
      if (!token) throw new AppError('AUTH.UNAUTHENTICATED');
      const principal = await auth.verifyAccessToken(token);
      if (principal.role !== 'town_admin') throw new AppError('AUTH.FORBIDDEN');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.header('Allow', 'GET, HEAD');
        throw new AppError('QUEUE.DASHBOARD_READ_ONLY');
      }
      return undefined;
    } catch (err) {
      const body = filter.toBody(err, req.id);
      return res.code(body.statusCode).send(body);
    }
  };
  // Its own scope: the guard runs before every route of the dashboard, and only there.
  await app.register(
    (async (scope: FastifyInstance) => {
      scope.addHook('onRequest', guard);
      await scope.register(adapter.registerPlugin() as never);
    }) as never,
    { prefix: DASHBOARD_PATH },
  );
}
