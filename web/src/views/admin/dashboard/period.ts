/** This month in Asia/Shanghai ('YYYY-MM'), as the api counts periods. */
export function currentPeriod(now = Date.now()): string {
  return new Date(now + 8 * 3600_000).toISOString().slice(0, 7);
}

/** The `count` months up to and including `period`, oldest first. */
export function monthsUpTo(period: string, count: number): string[] {
  const [y, m] = period.split('-').map(Number);
  const out: string[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const idx = y * 12 + (m - 1) - i;
    out.push(`${Math.floor(idx / 12)}-${String((idx % 12) + 1).padStart(2, '0')}`);
  }
  return out;
}

/** '2026-11' → '2026年11月'. */
export function periodLabel(period: string): string {
  const [y, m] = period.split('-');
  return `${y}年${Number(m)}月`;
}

/** Cycle states in Chinese; null: the village has no cycle for that month yet. */
export const STATE_NAMES: Record<string, string> = {
  open: '开放录入',
  closed: '已关账',
  reviewed: '已评议',
  publicized: '公示中',
  finalized: '已入账',
};

export function stateName(state: string | null | undefined): string {
  return state ? (STATE_NAMES[state] ?? state) : '未开始';
}

/** Element Plus tag type per state. */
export function stateTag(state: string | null | undefined): 'info' | 'primary' | 'warning' | 'success' | 'danger' {
  switch (state) {
    case 'open':
      return 'primary';
    case 'closed':
    case 'reviewed':
      return 'warning';
    case 'publicized':
      return 'danger';
    case 'finalized':
      return 'success';
    default:
      return 'info';
  }
}

export function formatTime(at: string | null | undefined): string {
  if (!at) return '—';
  const s = new Date(Date.parse(at) + 8 * 3600_000).toISOString();
  return `${s.slice(0, 10)} ${s.slice(11, 16)}`;
}
