import type { Role } from '@/stores/session';

export interface MenuItem {
  path: string;
  title: string;
}

/** What each role sees in the side menu; the first item is the role's home page. */
export const MENUS: Partial<Record<Role, MenuItem[]>> = {
  village_clerk: [
    { path: '/entries/new', title: '本月录入' },
    { path: '/entries', title: '录入记录' },
    { path: '/entries/upload', title: '批量上传' },
  ],
  village_reviewer: [
    { path: '/review', title: '评议表' },
    { path: '/review/meeting', title: '会议与决定' },
    { path: '/review/objections', title: '异议处理' },
    { path: '/review/board', title: '公示预览' },
  ],
  shop_clerk: [
    { path: '/till', title: '收银台' },
    { path: '/till/sales', title: '今日兑换' },
    { path: '/till/goods', title: '商品与库存' },
  ],
  town_admin: [{ path: '/shop/terminals', title: '超市终端' }],
};

export function homeOf(role: Role | null): string {
  return (role && MENUS[role]?.[0]?.path) ?? '/soon';
}
