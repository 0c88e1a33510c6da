import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { AuthService } from '@app/auth/auth.service';
import { GlobalExceptionFilter } from '@app/common/errors/global-exception.filter';
import { AppError } from '@app/common/errors/app-error';
import { JobQueue } from './job-queue.service';

export const DASHBOARD_PATH = '/admin/queues';
const COOKIE = 'xinyi_queues_token';

/**
 * The BullMQ dashboard (jobs, failures, retries) for town admins, read-only: the queues are the
 * deployment's, shared by every town, so a town's admin may look but not pause, clean, retry or
 * remove (reconcile re-creates what is due; see docs/ARCHITECTURE.md). A browser cannot send a
 * bearer header, so `/admin/queues?token=<access token>` moves the token into an HttpOnly
 * cookie scoped to the dashboard; every request is then checked like an API call.
 */
export function mountQueueDashboard(app: NestExpressApplication): void {
  const auth = app.get(AuthService);
  const filter = new GlobalExceptionFilter();
  const adapter = new ExpressAdapter();
  adapter.setBasePath(DASHBOARD_PATH);
  createBullBoard({ queues: app.get(JobQueue).allQueues().map((q) => new BullMQAdapter(q, { readOnlyMode: true })), serverAdapter: adapter });

  const guard = async (req: Request & { id?: string }, res: Response, next: NextFunction) => {
    try {
      const fromQuery = typeof req.query.token === 'string' ? req.query.token : undefined;
      const header = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const cookie = /(?:^|;\s*)xinyi_queues_token=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
      const token = fromQuery ?? header ?? cookie;
      if (!token) throw new AppError('AUTH.UNAUTHENTICATED');
      const principal = await auth.verifyAccessToken(token);
      if (principal.role !== 'town_admin') throw new AppError('AUTH.FORBIDDEN');
      if (fromQuery) {
        res.cookie(COOKIE, fromQuery, { httpOnly: true, sameSite: 'strict', path: DASHBOARD_PATH, maxAge: 15 * 60_000 });
        return res.redirect(302, DASHBOARD_PATH);
      }
      next();
    } catch (err) {
      const body = filter.toBody(err, String(req.id ?? ''));
      res.status(body.statusCode).json(body);
    }
  };
  app.use(DASHBOARD_PATH, guard, adapter.getRouter());
}
