import { computed, ref } from 'vue';
import { api, call, ApiError, type Schemas } from '@/api/client';

export type Posting = Schemas['PostingDto'];
export type PostingKind = Posting['kind'];
export type ResidentMatch = Schemas['ResidentMatchDto'];
export type Village = Schemas['VillageDto'];
export type AuditEntry = Schemas['AuditLogEntryDto'];

export const KIND_NAMES: Record<PostingKind, string> = {
  deed: '积分事项',
  redemption: '兑换',
  redemption_void: '兑换撤销',
  correction: '更正',
  opening_balance: '期初余额',
  expiry: '年度清零',
};

/** What each audit action means, as a person would say it (an unknown action shows its code). */
export const ACTION_NAMES: Record<string, string> = {
  'auth.login': '登录',
  'auth.login_failed': '登录失败',
  'auth.logout': '退出登录',
  'auth.refresh': '续期登录',
  'auth.refresh_reused': '旧登录凭证被重复使用（已强制下线）',
  'auth.password_change': '修改密码',
  'staff.create': '新建工作人员',
  'staff.activate': '启用工作人员',
  'staff.deactivate': '停用工作人员',
  'terminal.create': '新建超市终端',
  'terminal.revoke': '吊销超市终端',
  'terminal.pairing_create': '生成终端配对码',
  'terminal.pair': '终端配对',
  'town.create': '新建乡镇',
  'town.settings.update': '修改乡镇设置',
  'village.create': '新建村（社区）',
  'household.create': '新建户',
  'resident.create': '登记村民',
  'resident.status': '变更村民状态',
  'roster.import': '导入花名册',
  'catalog.adopt': '采用积分事项目录',
  'catalog.village_item.create': '新增本村事项',
  'entry.create': '录入积分事项',
  'entry.upload': '批量上传积分事项',
  'entry.withdraw': '撤回积分事项',
  'cycle.close': '关账',
  'cycle.reopen': '重新开放录入',
  'cycle.meeting': '记录议事会会议',
  'cycle.decide': '议事会评议决定',
  'cycle.publish': '公示评议结果',
  'cycle.window_end_early': '提前结束异议期（测试/培训）',
  'cycle.finalize': '入账并生成核验码',
  'cycle.post_late': '补记异议驳回后的积分',
  'objection.file': '提出异议',
  'objection.answer': '答复异议',
  'ledger.correct': '更正记账',
  'ledger.opening_balances': '录入期初余额',
  'ledger.year_end.request': '申请年度结转',
  'ledger.year_end': '年度结转',
  'shop.create': '新建信义超市',
  'goods.create': '新增商品',
  'goods.update': '修改商品',
  'goods.counted': '盘点库存',
  'goods.received': '商品入库',
  'goods.written_off': '商品报损',
  'goods.activate': '上架商品',
  'goods.deactivate': '下架商品',
  'redemption.create': '积分兑换',
  'redemption.void': '撤销兑换',
  'credit_export.retry': '重试信用平台上报',
  'system.heartbeat': '系统自检',
  'demo.seed': '生成演示数据',
  'demo.stock_shop': '演示数据：商品入库',
};

export const TARGET_NAMES: Record<string, string> = {
  town: '乡镇',
  village: '村（社区）',
  household: '户',
  resident: '村民',
  staff: '工作人员',
  terminal: '超市终端',
  shop: '超市',
  goods: '商品',
  catalog_item: '积分事项',
  catalog_version: '事项目录版本',
  entry: '积分记录',
  entry_batch: '批量上传',
  cycle: '评议周期',
  objection: '异议',
  posting: '记账',
  redemption: '兑换',
  job: '任务',
};

/** Keys the audit summaries use, in words (an unknown key shows as it is). */
export const SUMMARY_LABELS: Record<string, string> = {
  villageId: '村',
  period: '期间',
  posted: '入账条数',
  accounts: '账户数',
  checkpointHash: '核验码',
  scheduled: '定时任务',
  asOf: '按时间',
  windowEndsAt: '异议期结束',
  windowEndsAtBefore: '原异议期结束',
  entries: '条数',
  approved: '通过',
  rejected: '不通过',
  reason: '理由',
  before: '之前',
  after: '之后',
  username: '用户名',
  role: '角色',
  name: '名称',
  cardCode: '卡号',
  idLast4: '身份证后 4 位',
  meetingId: '会议',
  heldOn: '会议日期',
  attendees: '参会人数',
  outcome: '结果',
  points: '积分',
  delta: '变化',
  shopId: '超市',
  keyPrefix: '密钥前缀',
  residents: '村民数',
  villages: '村数',
  goods: '商品数',
  client: '来源',
  attempt: '第几次',
  wasOneTime: '原为一次性密码',
};

export const ACTOR_TYPE_NAMES: Record<string, string> = { staff: '工作人员', terminal: '超市终端', system: '系统', public: '公众' };

export function actionName(action: string): string {
  return ACTION_NAMES[action] ?? action;
}

/** 1234567 → "1.2 MB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function errorText(err: unknown, fallback = '加载失败，请稍后重试'): string {
  return err instanceof ApiError ? err.message || fallback : fallback;
}

/** The town's villages, for filters. */
export function useVillages() {
  const villages = ref<Village[]>([]);
  const error = ref<string | null>(null);
  async function load(): Promise<void> {
    try {
      villages.value = await call(api.GET('/api/v1/villages'));
    } catch (err) {
      error.value = errorText(err, '村列表加载失败');
    }
  }
  const nameOf = (id: string) => villages.value.find((v) => v.id === id)?.name ?? '';
  return { villages, error, load, nameOf };
}

/**
 * Finding a resident anywhere in the town by name or card code (GET /residents), for a remote
 * el-select. The chosen resident is kept in the options so its label stays shown.
 */
export function useResidentSearch() {
  const options = ref<ResidentMatch[]>([]);
  const searching = ref(false);
  const more = ref(false);
  const error = ref<string | null>(null);
  let seq = 0;
  async function search(q: string): Promise<void> {
    const query = q.trim();
    if (!query) return;
    const mine = ++seq;
    searching.value = true;
    error.value = null;
    try {
      const r = await call(api.GET('/api/v1/residents', { params: { query: { q: query, limit: 20 } } }));
      if (mine !== seq) return;
      options.value = r.items;
      more.value = r.more;
    } catch (err) {
      if (mine === seq) error.value = errorText(err, '查找村民失败');
    } finally {
      if (mine === seq) searching.value = false;
    }
  }
  function keep(r: ResidentMatch): void {
    if (!options.value.some((o) => o.id === r.id)) options.value = [r, ...options.value];
  }
  const label = (r: ResidentMatch) => `${r.name}（${r.villageName} · 卡号 ${r.cardCode}）`;
  return { options, searching, more, error, search, keep, label };
}

/**
 * Keyset paging as a person uses it: 下一页 follows the api's nextCursor; 上一页 goes back to the
 * cursor that loaded the previous page (kept in a stack), so pages never shift under the reader.
 */
export function useKeysetPages() {
  const cursors = ref<Array<string | undefined>>([undefined]);
  const index = ref(0);
  const next = ref<string | null>(null);
  const current = computed(() => cursors.value[index.value]);
  function reset(): void {
    cursors.value = [undefined];
    index.value = 0;
    next.value = null;
  }
  function forward(): void {
    if (!next.value) return;
    cursors.value = [...cursors.value.slice(0, index.value + 1), next.value];
    index.value += 1;
  }
  function back(): void {
    if (index.value > 0) index.value -= 1;
  }
  return { cursors, index, next, current, reset, forward, back, pageNo: computed(() => index.value + 1) };
}

/** 'YYYY-MM' of today in Asia/Shanghai. */
export function thisPeriod(): string {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
}

export function previousPeriod(period: string): string {
  const [y, m] = period.split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}
