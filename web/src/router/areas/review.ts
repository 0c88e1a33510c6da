import type { ConsoleArea } from './types';

/** The village meeting's review pages. */
export const reviewArea: ConsoleArea = {
  routes: [
    { path: '/review', component: () => import('@/views/review/ReviewSheetPage.vue'), meta: { title: '评议表', roles: ['village_reviewer'] } },
    { path: '/review/meeting', component: () => import('@/views/review/MeetingPage.vue'), meta: { title: '会议与决定', roles: ['village_reviewer'] } },
    { path: '/review/objections', component: () => import('@/views/review/ObjectionsPage.vue'), meta: { title: '异议处理', roles: ['village_reviewer'] } },
    { path: '/review/board', component: () => import('@/views/review/BoardPreviewPage.vue'), meta: { title: '公示预览', roles: ['village_reviewer'] } },
    { path: '/review/print/:period', component: () => import('@/views/review/PrintSheetPage.vue'), meta: { title: '打印评议表', roles: ['village_reviewer'], bare: true } },
  ],
  menus: {
    village_reviewer: [
      { path: '/review', title: '评议表' },
      { path: '/review/meeting', title: '会议与决定' },
      { path: '/review/objections', title: '异议处理' },
      { path: '/review/board', title: '公示预览' },
    ],
  },
};
