import type { ConsoleArea } from './types';

/** The village clerk's entry pages. */
export const entriesArea: ConsoleArea = {
  routes: [
    { path: '/entries/new', component: () => import('@/views/entries/EntryFormPage.vue'), meta: { title: '本月录入', roles: ['village_clerk'] } },
    { path: '/entries', component: () => import('@/views/entries/EntryListPage.vue'), meta: { title: '录入记录', roles: ['village_clerk'] } },
    { path: '/entries/upload', component: () => import('@/views/entries/UploadPage.vue'), meta: { title: '批量上传', roles: ['village_clerk'] } },
  ],
  menus: {
    village_clerk: [
      { path: '/entries/new', title: '本月录入' },
      { path: '/entries', title: '录入记录' },
      { path: '/entries/upload', title: '批量上传' },
    ],
  },
};
