import type { ConsoleArea } from './types';

/** The town admin's office (issue 17): pages are added here. */
export const adminArea: ConsoleArea = {
  routes: [
    { path: '/admin/dashboard', component: () => import('@/views/admin/dashboard/DashboardPage.vue'), meta: { title: '首页', roles: ['town_admin'] } },
    { path: '/admin/cycles', component: () => import('@/views/admin/cycles/CyclesPage.vue'), meta: { title: '评议周期', roles: ['town_admin'] } },
    { path: '/admin/credit-export', component: () => import('@/views/admin/credit-export/CreditExportPage.vue'), meta: { title: '信用报送', roles: ['town_admin'] } },
    // The office: settings, holidays, villages and residents, staff, catalogue (h/admin-office).
    { path: '/admin/settings', component: () => import('@/views/admin/settings/SettingsPage.vue'), meta: { title: '本镇设置', roles: ['town_admin'] } },
    { path: '/admin/holidays', component: () => import('@/views/admin/settings/HolidaysPage.vue'), meta: { title: '节假日与调休', roles: ['town_admin'] } },
    { path: '/admin/villages', component: () => import('@/views/admin/villages/VillagesPage.vue'), meta: { title: '村与村民', roles: ['town_admin'] } },
    { path: '/admin/villages/:villageId/roster', component: () => import('@/views/admin/villages/RosterImportPage.vue'), meta: { title: '导入名册', roles: ['town_admin'] } },
    { path: '/admin/households/:id', component: () => import('@/views/admin/villages/HouseholdPage.vue'), meta: { title: '户详情', roles: ['town_admin'] } },
    { path: '/admin/staff', component: () => import('@/views/admin/staff/StaffPage.vue'), meta: { title: '工作人员', roles: ['town_admin'] } },
    { path: '/admin/catalog', component: () => import('@/views/admin/catalog/CatalogPage.vue'), meta: { title: '积分目录', roles: ['town_admin'] } },
  ],
  menus: {
    town_admin: [
      { path: '/admin/dashboard', title: '首页' },
      { path: '/admin/cycles', title: '评议周期' },
      { path: '/admin/credit-export', title: '信用报送' },
      // The office (h/admin-office); 超市终端 follows from the shop area.
      { path: '/admin/villages', title: '村与村民' },
      { path: '/admin/staff', title: '工作人员' },
      { path: '/admin/catalog', title: '积分目录' },
      { path: '/admin/settings', title: '本镇设置' },
      { path: '/admin/holidays', title: '节假日与调休' },
    ],
  },
};
