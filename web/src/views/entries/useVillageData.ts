import { ref } from 'vue';
import { api, call, type Schemas } from '@/api/client';
import { initials } from '@/utils/pinyin';

export type Resident = Schemas['ResidentDto'];
export type CatalogItem = Schemas['CatalogItemDto'];
export type Cycle = Schemas['CycleSummaryDto'];

export interface ItemGroup {
  category: string;
  items: CatalogItem[];
}

const PAGE = 200;

/** Every active resident of the village (a village has tens to a few hundred). */
export async function loadResidents(villageId: string): Promise<Resident[]> {
  const out: Resident[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await call(api.GET('/api/v1/villages/{villageId}/residents', { params: { path: { villageId }, query: { status: 'active', limit: PAGE, offset } } }));
    out.push(...page.items);
    if (out.length >= page.total || page.items.length === 0) return out;
  }
}

/** Name, card code, household code, or the pinyin initials of the name (王建国 → wjg). */
export function residentMatches(r: Resident, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return r.name.includes(q) || r.cardCode.toLowerCase().includes(q) || r.householdCode.toLowerCase().includes(q) || initials(r.name).startsWith(q);
}

export function residentLabel(r: Resident): string {
  return `${r.name}（${r.householdCode} · ${r.cardCode}）`;
}

export async function loadItems(): Promise<CatalogItem[]> {
  return call(api.GET('/api/v1/catalog/items', {}));
}

/** By code (T10, t10) or by any part of the name or category. */
export function itemMatches(i: CatalogItem, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return i.code.toLowerCase().startsWith(q) || i.name.includes(query.trim()) || i.category.includes(query.trim());
}

export function groupItems(items: CatalogItem[]): ItemGroup[] {
  const groups = new Map<string, CatalogItem[]>();
  for (const i of items) {
    const key = `${i.sign > 0 ? '守信' : '失信'} · ${i.category}`;
    groups.set(key, [...(groups.get(key) ?? []), i]);
  }
  return [...groups.entries()].map(([category, list]) => ({ category, items: list }));
}

export function useCycles(villageId: () => string | null) {
  const cycles = ref<Cycle[]>([]);
  async function load(): Promise<Cycle[]> {
    const id = villageId();
    if (!id) return [];
    cycles.value = (await call(api.GET('/api/v1/villages/{villageId}/cycles', { params: { path: { villageId: id } } }))).cycles;
    return cycles.value;
  }
  return { cycles, load };
}

export function periodLabel(period: string): string {
  const [y, m] = period.split('-');
  return `${y}年${Number(m)}月`;
}

export function signed(points: number | null | undefined): string {
  if (points === null || points === undefined) return '—';
  return points > 0 ? `+${points}` : points < 0 ? `−${Math.abs(points)}` : '0';
}

export function pointsClass(points: number | null | undefined): string {
  return !points ? '' : points > 0 ? 'points-pos' : 'points-neg';
}

export const STATUS_NAMES: Record<string, string> = {
  submitted: '待评议',
  approved: '已通过',
  rejected: '未通过',
  withdrawn: '已撤回',
  posted: '已入账',
};
