/**
 * Stable error codes of the system area: jobs and the queue dashboard (registered in
 * src/error-codes.ts; `queue/queue-dashboard.ts` answers QUEUE.DASHBOARD_READ_ONLY). Never rename or reuse a code.
 */
export const SYSTEM_ERRORS = {
  'JOB.NOT_FOUND': { status: 404, message: '任务不存在 / no such job' },
  'QUEUE.DASHBOARD_READ_ONLY': { status: 405, message: '任务队列面板只读 / the queue dashboard is read-only' },
} as const satisfies Record<string, { status: number; message: string }>;
