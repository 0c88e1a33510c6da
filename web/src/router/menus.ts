import type { Role } from '@/stores/session';
import { AREAS, menusOf } from './areas';
import type { MenuItem } from './areas/types';

export type { MenuItem };

/** What each role sees in the side menu; the first item is the role's home page. */
export const MENUS: Partial<Record<Role, MenuItem[]>> = menusOf(AREAS);

export function homeOf(role: Role | null): string {
  return (role && MENUS[role]?.[0]?.path) ?? '/soon';
}
