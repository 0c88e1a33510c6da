import { computed, ref } from 'vue';
import { api, call, ApiError, type Schemas } from '@/api/client';
import { useSession } from '@/stores/session';
import { useCycles } from '@/views/entries/useVillageData';

export type Sheet = Schemas['ReviewSheetDto'];
export type SheetEntry = Schemas['ReviewSheetEntryDto'];
export type Entry = Schemas['EntryDto'];

/** A sheet row with what the entry list adds: card code, evidence, the range reason. */
export interface ReviewRow extends SheetEntry {
  cardCode: string;
  evidenceNote: string | null;
  reason: string | null;
  period: string;
  late: boolean;
  score: number;
}

export interface ResidentGroup {
  residentId: string;
  residentName: string;
  cardCode: string;
  rows: ReviewRow[];
  total: number;
}

export const CYCLE_STATE_NAMES: Record<string, string> = {
  open: '开放录入',
  closed: '已关账，待评议',
  reviewed: '已评议，待公示',
  publicized: '公示中',
  finalized: '已入账',
};

/** The cycle a reviewer works on first: the oldest one that is past open and not finalized. */
export function reviewPeriod(cycles: Array<{ period: string; state: string }>): string {
  const active = cycles.filter((c) => c.state === 'closed' || c.state === 'reviewed' || c.state === 'publicized').sort((a, b) => a.period.localeCompare(b.period));
  return active[0]?.period ?? [...cycles].sort((a, b) => b.period.localeCompare(a.period)).find((c) => c.state !== 'open')?.period ?? cycles[0]?.period ?? '';
}

async function allEntries(villageId: string, period: string): Promise<Entry[]> {
  const out: Entry[] = [];
  let after: string | null = null;
  for (;;) {
    const page: Schemas['EntryPageDto'] = await call(
      api.GET('/api/v1/villages/{villageId}/entries', { params: { path: { villageId }, query: { period, limit: 500, ...(after ? { after } : {}) } } }),
    );
    out.push(...page.items);
    if (!page.next) return out;
    after = page.next;
  }
}

export function useReview() {
  const session = useSession();
  const villageId = computed(() => session.villageId ?? '');
  const { cycles, load: loadCycles } = useCycles(() => session.villageId);
  const period = ref('');
  const sheet = ref<Sheet | null>(null);
  const rows = ref<ReviewRow[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);

  async function loadSheet(): Promise<void> {
    if (!period.value) return;
    loading.value = true;
    error.value = null;
    try {
      const [s, entries] = await Promise.all([
        call(api.GET('/api/v1/villages/{villageId}/cycles/{period}', { params: { path: { villageId: villageId.value, period: period.value } } })),
        allEntries(villageId.value, period.value),
      ]);
      const byId = new Map(entries.map((e) => [e.id, e]));
      sheet.value = s;
      rows.value = s.entries.map((e) => {
        const full = byId.get(e.id);
        return {
          ...e,
          cardCode: full?.cardCode ?? '',
          evidenceNote: full?.evidenceNote ?? null,
          reason: full?.reason ?? null,
          period: period.value,
          late: e.late,
          score: e.finalPoints ?? e.points,
        };
      });
    } catch (err) {
      sheet.value = null;
      rows.value = [];
      error.value = err instanceof ApiError ? err.message : '加载失败';
    } finally {
      loading.value = false;
    }
  }

  async function init(): Promise<void> {
    try {
      await loadCycles();
      period.value = reviewPeriod(cycles.value);
    } catch (err) {
      error.value = err instanceof ApiError ? err.message : '加载失败';
    }
    await loadSheet();
  }

  return { villageId, cycles, period, sheet, rows, loading, error, loadSheet, init };
}

/** Rows by resident, in the order residents first appear; totals count what still stands. */
export function groupByResident(rows: ReviewRow[]): ResidentGroup[] {
  const groups = new Map<string, ResidentGroup>();
  for (const r of rows) {
    const g = groups.get(r.residentId) ?? { residentId: r.residentId, residentName: r.residentName, cardCode: r.cardCode, rows: [], total: 0 };
    g.rows.push(r);
    if (counts(r)) g.total += r.score;
    groups.set(r.residentId, g);
  }
  return [...groups.values()];
}

/** Rejected and withdrawn entries score nothing. */
export function counts(r: { status: string }): boolean {
  return r.status !== 'rejected' && r.status !== 'withdrawn';
}

export function totals(rows: ReviewRow[]): { entries: number; residents: number; plus: number; minus: number } {
  const standing = rows.filter(counts);
  return {
    entries: standing.length,
    residents: new Set(standing.map((r) => r.residentId)).size,
    plus: standing.filter((r) => r.score > 0).reduce((s, r) => s + r.score, 0),
    minus: standing.filter((r) => r.score < 0).reduce((s, r) => s + r.score, 0),
  };
}

export function formatDateTime(iso: string | Date | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  const p = new Intl.DateTimeFormat('zh-CN', { timeZone: 'Asia/Shanghai', year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
  return p.format(d);
}
