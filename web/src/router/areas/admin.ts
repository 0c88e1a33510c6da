import type { ConsoleArea } from './types';

/** The town admin's office (issue 17): pages are added here. */
export const adminArea: ConsoleArea = {
  routes: [
    { path: '/admin/dashboard', component: () => import('@/views/admin/dashboard/DashboardPage.vue'), meta: { title: '首页', roles: ['town_admin'] } },
    { path: '/admin/cycles', component: () => import('@/views/admin/cycles/CyclesPage.vue'), meta: { title: '评议周期', roles: ['town_admin'] } },
    { path: '/admin/credit-export', component: () => import('@/views/admin/credit-export/CreditExportPage.vue'), meta: { title: '信用报送', roles: ['town_admin'] } },
  ],
  menus: {
    town_admin: [
      { path: '/admin/dashboard', title: '首页' },
      { path: '/admin/cycles', title: '评议周期' },
      { path: '/admin/credit-export', title: '信用报送' },
    ],
  },
};
