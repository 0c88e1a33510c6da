import type { ConsoleArea } from './types';

/** The town admin's office (issue 17): pages are added here. */
export const adminArea: ConsoleArea = {
  routes: [],
  menus: {},
};
