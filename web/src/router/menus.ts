import type { Role } from '@/stores/session';
import { AREAS, menusOf } from './areas';
import type { MenuItem } from './areas/types';

export type { MenuItem };

/** What each role sees in the side menu; the first item is the role's home page. */
export const MENUS: Partial<Record<Role, MenuItem[]>> = menusOf(AREAS);

export function homeOf(role: Role | null): string {
  return (role && MENUS[role]?.[0]?.path) ?? '/soon';
}

/** A run of menu items: one item alone, or the consecutive items of one group under its title. */
export interface MenuSection {
  group: string | null;
  items: MenuItem[];
}

export function menuSections(items: MenuItem[]): MenuSection[] {
  const out: MenuSection[] = [];
  for (const item of items) {
    const last = out[out.length - 1];
    if (item.group && last?.group === item.group) last.items.push(item);
    else out.push({ group: item.group ?? null, items: [item] });
  }
  return out;
}
