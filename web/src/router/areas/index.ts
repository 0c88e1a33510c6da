import type { Role } from '@/stores/session';
import type { RouteRecordRaw } from 'vue-router';
import { adminArea } from './admin';
import { auditorArea } from './auditor';
import { entriesArea } from './entries';
import { residentsArea } from './residents';
import { reviewArea } from './review';
import { shopArea } from './shop';
import type { ConsoleArea, MenuItem } from './types';

/** In menu order: an area listed first puts its items first in a role's menu. */
export const AREAS: ConsoleArea[] = [adminArea, auditorArea, entriesArea, reviewArea, shopArea, residentsArea];

export const AREA_ROUTES: RouteRecordRaw[] = AREAS.flatMap((area) => area.routes);

export function menusOf(areas: ConsoleArea[]): Partial<Record<Role, MenuItem[]>> {
  const menus: Partial<Record<Role, MenuItem[]>> = {};
  for (const area of areas) {
    for (const [role, items] of Object.entries(area.menus) as [Role, MenuItem[]][]) {
      (menus[role] ??= []).push(...items);
    }
  }
  return menus;
}
