import type { Role } from '@/stores/session';
import type { ConsoleArea } from './types';

/**
 * The api lets the town admin read every auditors' query (its guards: `@Roles('auditor',
 * 'town_admin')`): the town admin answers for the town's ledger, so they reach the desk from
 * their own menu, folded under 审计查询 after their office.
 */
const READERS: Role[] = ['auditor', 'town_admin'];

const DESK = [
  { path: '/audit/postings', title: '记账明细' },
  { path: '/audit/statement', title: '村民对账单' },
  { path: '/audit/log', title: '操作日志' },
  { path: '/audit/verify', title: '账本校验' },
  { path: '/audit/timeliness', title: '评议时效' },
];

/** The auditors' desk (审计/信用办, issue 17): read-only, whole town. */
export const auditorArea: ConsoleArea = {
  routes: [
    { path: '/audit/postings', component: () => import('@/views/auditor/PostingsPage.vue'), meta: { title: '记账明细', roles: READERS } },
    { path: '/audit/statement', component: () => import('@/views/auditor/StatementPage.vue'), meta: { title: '村民对账单', roles: READERS } },
    { path: '/audit/statement/print/:residentId', component: () => import('@/views/auditor/StatementPrintPage.vue'), meta: { title: '打印对账单', roles: READERS, bare: true } },
    { path: '/audit/log', component: () => import('@/views/auditor/AuditLogPage.vue'), meta: { title: '操作日志', roles: READERS } },
    { path: '/audit/verify', component: () => import('@/views/auditor/VerifyPage.vue'), meta: { title: '账本校验', roles: READERS } },
    { path: '/audit/timeliness', component: () => import('@/views/auditor/TimelinessPage.vue'), meta: { title: '评议时效', roles: READERS } },
  ],
  menus: {
    auditor: DESK,
    town_admin: DESK.map((item) => ({ ...item, group: '审计查询' })),
  },
};
