import type { ConsoleArea } from './types';

/** The 信义超市 till (shop clerk) and its terminals (town admin). */
export const shopArea: ConsoleArea = {
  routes: [
    { path: '/till', component: () => import('@/views/shop/TillPage.vue'), meta: { title: '收银台', roles: ['shop_clerk'] } },
    { path: '/till/sales', component: () => import('@/views/shop/SalesTodayPage.vue'), meta: { title: '今日兑换', roles: ['shop_clerk'] } },
    { path: '/till/goods', component: () => import('@/views/shop/GoodsPage.vue'), meta: { title: '商品与库存', roles: ['shop_clerk'] } },
    { path: '/shop/terminals', component: () => import('@/views/shop/TerminalsPage.vue'), meta: { title: '超市终端', roles: ['town_admin'] } },
  ],
  menus: {
    shop_clerk: [
      { path: '/till', title: '收银台' },
      { path: '/till/sales', title: '今日兑换' },
      { path: '/till/goods', title: '商品与库存' },
    ],
    town_admin: [{ path: '/shop/terminals', title: '超市终端' }],
  },
};
