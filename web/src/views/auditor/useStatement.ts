import { ref } from 'vue';
import { api, call, type Schemas } from '@/api/client';
import { useFieldErrors } from '@/utils/field-errors';

export type Statement = Schemas['StatementDto'];
export type StatementLine = Schemas['StatementLineDto'];

export type StatementField = 'residentId' | 'from' | 'to';
export const STATEMENT_FIELDS: StatementField[] = ['residentId', 'from', 'to'];

/** Lines a page of the statement on screen shows at first and adds each time 更早的记录 is asked for (the api's STATEMENT_SCREEN_PAGE; the bench measures this page). */
export const STATEMENT_PAGE = 50;

/**
 * One resident's explained statement (GET /audit/residents/:id/statement), for the page and its
 * print. With `page`, the newest `page` lines come first and `loadEarlier` puts the ones before
 * them on top (each line carries its own balance and credit score); without, every line (the print).
 */
export function useStatement(options: { page?: number } = {}) {
  const statement = ref<Statement | null>(null);
  const loading = ref(false);
  const loadingEarlier = ref(false);
  const earlierError = ref<string | null>(null);
  const { errors, fromApi, clear, set } = useFieldErrors<StatementField>({ 'RESIDENT.NOT_FOUND': 'residentId', 'AUTH.OUT_OF_SCOPE': 'residentId' });
  let shown: { residentId: string; from?: string; to?: string } | null = null;

  function get(residentId: string, from: string | undefined, to: string | undefined, beforeSeq?: number) {
    const page = options.page ? { limit: options.page, ...(beforeSeq ? { beforeSeq } : {}) } : {};
    return call(api.GET('/api/v1/audit/residents/{residentId}/statement', { params: { path: { residentId }, query: { ...(from ? { from } : {}), ...(to ? { to } : {}), ...page } } }));
  }

  async function load(residentId: string, from?: string, to?: string): Promise<void> {
    clear();
    earlierError.value = null;
    if (!residentId) {
      set('residentId', '请先选择村民');
      return;
    }
    if (from && to && from > to) {
      set('from', '起始期间不能晚于截止期间');
      return;
    }
    loading.value = true;
    try {
      statement.value = await get(residentId, from, to);
      shown = { residentId, from, to };
    } catch (err) {
      statement.value = null;
      shown = null;
      fromApi(err, STATEMENT_FIELDS);
    } finally {
      loading.value = false;
    }
  }

  /** The page before the first line shown, put on top; a failure is said beside the button and keeps what is shown. */
  async function loadEarlier(): Promise<void> {
    const s = statement.value;
    if (!s || !shown || s.earlierLines === 0 || s.lines.length === 0 || loadingEarlier.value) return;
    loadingEarlier.value = true;
    earlierError.value = null;
    try {
      const earlier = await get(shown.residentId, shown.from, shown.to, s.lines[0].seq);
      statement.value = { ...earlier, lines: [...earlier.lines, ...s.lines] };
    } catch (err) {
      earlierError.value = err instanceof Error && err.message ? `更早的记录没有加载成功：${err.message}` : '更早的记录没有加载成功，请重试';
    } finally {
      loadingEarlier.value = false;
    }
  }
  return { statement, loading, errors, load, loadEarlier, loadingEarlier, earlierError };
}

/** The line's 议事会 decision in words, with its reason. */
export function decisionText(l: StatementLine): string {
  return [l.decision, l.decisionReason ? `理由：${l.decisionReason}` : null].filter(Boolean).join('；');
}

/** What a line is about, in one phrase: the item, or the redemption's receipt, or the memo. */
export function subjectText(l: StatementLine): string {
  if (l.itemCode) return `${l.itemCode} ${l.itemName ?? ''}`.trim();
  if (l.receiptNo) return `${l.kindLabel}：${l.shopName ?? ''} 小票 ${l.receiptNo}`;
  return l.memo ? `${l.kindLabel}：${l.memo}` : l.kindLabel;
}

/** The explanation parts of a line, each with its label (empty ones left out). */
export function explainParts(l: StatementLine): Array<{ label: string; text: string }> {
  const parts: Array<[string, string | null]> = [
    ['发生日期', l.occurredOn],
    ['计分规则', l.ruleText],
    ['本次计分', l.explanation],
    ['评定理由', l.committeeReason],
    ['证据', l.evidenceNote],
    ['评议', decisionText(l) || null],
    ['评议期间', l.reviewPeriod],
    ['更正理由', l.reason],
    ['原记账编号', l.originalPostingId],
  ];
  return parts.filter((p): p is [string, string] => !!p[1]).map(([label, text]) => ({ label, text }));
}
