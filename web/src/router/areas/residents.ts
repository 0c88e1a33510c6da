import type { ConsoleArea } from './types';

/** Residents' points cards: the printable card sheet with each resident's personal QR (issue 18 §2). */
export const residentsArea: ConsoleArea = {
  routes: [{ path: '/residents/cards', component: () => import('@/views/residents/CardSheetPage.vue'), meta: { title: '积分卡打印', roles: ['village_clerk', 'town_admin'], bare: true } }],
  menus: {
    village_clerk: [{ path: '/residents/cards', title: '积分卡打印' }],
    town_admin: [{ path: '/residents/cards', title: '积分卡打印' }],
  },
};
