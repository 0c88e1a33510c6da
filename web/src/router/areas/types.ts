import type { RouteRecordRaw } from 'vue-router';
import type { Role } from '@/stores/session';

export interface MenuItem {
  path: string;
  title: string;
  /** Items of one group follow each other and fold under its title (a role with many pages). */
  group?: string;
}

/**
 * One area of the console (a role's work, or a part of it): its routes and the menu items it adds
 * for each role. Areas live in their own files so each part of the console changes in one place.
 */
export interface ConsoleArea {
  routes: RouteRecordRaw[];
  menus: Partial<Record<Role, MenuItem[]>>;
}
