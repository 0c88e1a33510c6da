import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { useSession, type Role } from '@/stores/session';
import { homeOf } from './menus';

declare module 'vue-router' {
  interface RouteMeta {
    title?: string;
    roles?: Role[];
    /** Pages without the shell (login, print). */
    bare?: boolean;
    public?: boolean;
    /** '/' itself: sent on to the role's home. */
    home?: boolean;
  }
}

const clerk: Role[] = ['village_clerk'];
const reviewer: Role[] = ['village_reviewer'];
const shopClerk: Role[] = ['shop_clerk'];

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('@/views/auth/LoginPage.vue'), meta: { title: '登录', bare: true, public: true } },
  { path: '/', component: () => import('@/views/home/ComingSoonPage.vue'), meta: { title: '首页', home: true } },
  { path: '/soon', component: () => import('@/views/home/ComingSoonPage.vue'), meta: { title: '首页' } },
  { path: '/entries/new', component: () => import('@/views/entries/EntryFormPage.vue'), meta: { title: '本月录入', roles: clerk } },
  { path: '/entries', component: () => import('@/views/entries/EntryListPage.vue'), meta: { title: '录入记录', roles: clerk } },
  { path: '/entries/upload', component: () => import('@/views/entries/UploadPage.vue'), meta: { title: '批量上传', roles: clerk } },
  { path: '/review', component: () => import('@/views/review/ReviewSheetPage.vue'), meta: { title: '评议表', roles: reviewer } },
  { path: '/review/meeting', component: () => import('@/views/review/MeetingPage.vue'), meta: { title: '会议与决定', roles: reviewer } },
  { path: '/review/objections', component: () => import('@/views/review/ObjectionsPage.vue'), meta: { title: '异议处理', roles: reviewer } },
  { path: '/review/board', component: () => import('@/views/review/BoardPreviewPage.vue'), meta: { title: '公示预览', roles: reviewer } },
  { path: '/review/print/:period', component: () => import('@/views/review/PrintSheetPage.vue'), meta: { title: '打印评议表', roles: reviewer, bare: true } },
  { path: '/till', component: () => import('@/views/shop/TillPage.vue'), meta: { title: '收银台', roles: shopClerk } },
  { path: '/till/sales', component: () => import('@/views/shop/SalesTodayPage.vue'), meta: { title: '今日兑换', roles: shopClerk } },
  { path: '/till/goods', component: () => import('@/views/shop/GoodsPage.vue'), meta: { title: '商品与库存', roles: shopClerk } },
  { path: '/shop/terminals', component: () => import('@/views/shop/TerminalsPage.vue'), meta: { title: '超市终端', roles: ['town_admin'] } },
  { path: '/:rest(.*)*', component: () => import('@/views/home/NotFoundPage.vue'), meta: { title: '页面不存在' } },
];

export const router = createRouter({ history: createWebHistory('/console/'), routes });

let restored = false;

router.beforeEach(async (to) => {
  const session = useSession();
  // A reload: the access token was in memory only; the refresh cookie may still hold a session.
  if (!restored) {
    restored = true;
    if (!session.user) await session.refresh();
  }
  if (to.meta.public) return session.user && to.path === '/login' ? homeOf(session.role) : true;
  if (!session.user) return { path: '/login', query: !to.meta.home ? { redirect: to.fullPath } : {} };
  if (to.meta.home) return homeOf(session.role);
  if (to.meta.roles && (!session.role || !to.meta.roles.includes(session.role))) return homeOf(session.role);
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · 信义积分工作台` : '信义积分工作台';
});
