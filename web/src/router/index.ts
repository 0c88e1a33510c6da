import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router';
import { useSession, type Role } from '@/stores/session';
import { AREA_ROUTES } from './areas';
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

const routes: RouteRecordRaw[] = [
  { path: '/login', component: () => import('@/views/auth/LoginPage.vue'), meta: { title: '登录', bare: true, public: true } },
  { path: '/', component: () => import('@/views/home/ComingSoonPage.vue'), meta: { title: '首页', home: true } },
  { path: '/soon', component: () => import('@/views/home/ComingSoonPage.vue'), meta: { title: '首页' } },
  ...AREA_ROUTES,
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
