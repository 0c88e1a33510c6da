import type { ConsoleArea } from './types';

/** The auditors' desk (issue 17): pages are added here. */
export const auditorArea: ConsoleArea = {
  routes: [],
  menus: {},
};
