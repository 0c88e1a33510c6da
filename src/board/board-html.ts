import { shanghaiDateTime } from '@app/common/time';
import type { PublicBoard, PublicBoardLine, PublicBoardResident, RankedName } from './board-view';
import { paginate, runsOf, type PrintItem, type SheetLayout } from './paginate';
import { qrSvg } from './qr-svg';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attributes. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

function periodTitle(period: string): string {
  const [year, month] = period.split('-');
  return `${year}年${Number(month)}月`;
}

/**
 * The printed A4 sheet, in millimetres. @page margins 12 mm leave 273 mm; a sheet is 272 mm so
 * rounding never pushes it onto a second physical page. The print CSS below fixes every height
 * named here (and clips what would overflow), and the paginator packs items by the *_BUDGET
 * figures, which are a little larger than the CSS heights (borders, rounding), so a sheet is
 * never fuller than its body. test/integration/board-print.test.ts prints to PDF and checks.
 */
export const SHEET = {
  heightMm: 272,
  firstHeadMm: 80,
  headMm: 12,
  footMm: 10,
  rowMm: 10,
  rowBudgetMm: 10.6,
  theadMm: 8,
  theadBudgetMm: 8.6,
  totalsMm: 9,
  listTitleMm: 9,
  listRowMm: 7,
  listRowBudgetMm: 7.6,
  closingMm: 52,
} as const;

export const SHEET_LAYOUT: SheetLayout = {
  firstBodyMm: SHEET.heightMm - SHEET.firstHeadMm - SHEET.footMm,
  bodyMm: SHEET.heightMm - SHEET.headMm - SHEET.footMm,
  groupHeaderMm: { entries: SHEET.theadBudgetMm, lists: SHEET.listTitleMm + SHEET.theadBudgetMm + 1 },
};

/**
 * A4 print: page size and margins, a CJK font stack that exists on Windows, macOS and Linux
 * offices, fixed-height sheets (one per printed page, laid out by paginate.ts) with fixed-height
 * rows whose text is clipped to one line each. On screen the same sheets show as paper with
 * natural heights, so a phone wraps text instead of clipping it.
 */
const STYLE = `
@page { size: A4; margin: 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "WenQuanYi Micro Hei", "SimSun", sans-serif; font-size: 10pt; line-height: 1.35; color: #111; margin: 0; }
.sheet { width: 186mm; display: flex; flex-direction: column; }
.sheet > .body { flex: 1 1 auto; }
h1 { font-size: 17pt; text-align: center; margin: 0 0 1.5mm; }
.first-head .meta { margin: 0.6mm 0; }
.first-head .grid { display: flex; gap: 3mm; margin-top: 1.5mm; }
.first-head .notice { flex: 1; border: 1px solid #999; padding: 1.5mm 2.5mm; }
.first-head .notice p { margin: 0 0 1mm; }
.qr { display: flex; gap: 2mm; }
.qr figure { margin: 0; width: 30mm; text-align: center; font-size: 7.5pt; line-height: 1.2; }
.qr svg { display: block; width: 28mm; height: 28mm; margin: 0 auto 0.8mm; }
.qr .url { word-break: break-all; font-size: 6pt; color: #444; }
.run-head { height: ${SHEET.headMm}mm; display: flex; justify-content: space-between; align-items: flex-end; border-bottom: 1px solid #666; padding-bottom: 1mm; margin-bottom: 1.5mm; font-size: 9pt; }
.page-foot { height: ${SHEET.footMm}mm; display: flex; justify-content: space-between; align-items: flex-end; border-top: 1px solid #666; font-size: 8.5pt; color: #333; }
.page-no { font-weight: bold; color: #111; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { border: 1px solid #666; padding: 0 1.2mm; vertical-align: middle; text-align: left; overflow: hidden; }
th { background: #eee; font-weight: bold; height: ${SHEET.theadMm}mm; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.line td { height: ${SHEET.rowMm}mm; }
.one { display: block; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
small.one { font-size: 7.5pt; color: #444; }
td.rec { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 7.5pt; white-space: nowrap; padding: 0 0.8mm; }
tr.revoked td.item, tr.revoked td.num.points { text-decoration: line-through; color: #777; }
.status-disputed { color: #b45309; font-weight: bold; }
.status-revoked { color: #b91c1c; font-weight: bold; }
p.totals { font-weight: bold; height: ${SHEET.totalsMm}mm; margin: 0; padding-top: 2mm; }
.lists-title { display: flex; height: ${SHEET.listTitleMm}mm; align-items: flex-end; font-weight: bold; font-size: 12pt; padding-bottom: 1mm; margin-top: 1mm; }
.lists-title span { flex: 1; }
.lists-title .red, td.red { color: #b91c1c; }
table.lists td { height: ${SHEET.listRowMm}mm; }
table.lists td.gap { border: none; }
.closing { height: ${SHEET.closingMm}mm; margin-top: 2mm; font-size: 8.5pt; }
.closing .notes { margin: 0 0 2mm; color: #333; }
.checkpoint { font-family: "DejaVu Sans Mono", Consolas, monospace; word-break: break-all; font-size: 8pt; }
.checkpoint-short { font-size: 14pt; font-weight: bold; letter-spacing: 0.5mm; white-space: nowrap; }
.checkpoint-full, .checkpoint-help { font-size: 8pt; margin: 0.5mm 0; }
.sign { display: flex; gap: 6mm; align-items: flex-end; margin-top: 3mm; font-size: 10pt; }
.sign .stamp { width: 34mm; height: 34mm; border: 1px dashed #999; border-radius: 50%; display: flex; align-items: center; justify-content: center; color: #999; font-size: 8pt; flex: none; }
.sign .lines p { margin: 0 0 3mm; }
@media print {
  body { width: 186mm; }
  .sheet { height: ${SHEET.heightMm}mm; overflow: hidden; break-after: page; page-break-after: always; }
  .sheet:last-of-type { break-after: auto; page-break-after: auto; }
  .first-head { height: ${SHEET.firstHeadMm}mm; overflow: hidden; }
  tr.line td > * { max-height: ${SHEET.rowMm - 0.5}mm; }
}
@media screen {
  body { background: #e5e5e5; padding: 4mm 0; }
  .sheet { background: #fff; margin: 0 auto 6mm; padding: 8mm; width: auto; max-width: 210mm; box-shadow: 0 1px 4px rgba(0,0,0,.25); }
  .one { white-space: normal; }
  tr.line td { height: auto; padding: 1mm 1.2mm; }
}
`;

interface EntryItem {
  resident: PublicBoardResident;
  residentIndex: number;
  line: PublicBoardLine;
  firstOfResident: boolean;
}

type Item = PrintItem<EntryItem | { red?: PrintedRank; black?: PrintedRank } | null>;

function entryRow(e: EntryItem, firstOnSheet: boolean): string {
  const l = e.line;
  const showName = e.firstOfResident || firstOnSheet;
  const name = showName ? `${escapeHtml(e.resident.name)}${e.firstOfResident ? '' : '（续）'}` : '';
  const when = l.late ? `补录（发生于 ${escapeHtml(l.occurredOn)}）` : escapeHtml(l.occurredOn);
  return `<tr class="line ${escapeHtml(l.status)}" data-entry-id="${escapeHtml(l.entryId)}" data-record-no="${escapeHtml(l.recordNo)}">
<td class="rec">${escapeHtml(l.recordNo)}</td>
<td><span class="one">${name}</span></td>
<td class="item"><span class="one">${escapeHtml(l.itemName)}</span><small class="one">${escapeHtml(l.itemCode)} · ${when}</small></td>
<td class="num points">${escapeHtml(l.pointsLabel)}</td>
<td class="status-${escapeHtml(l.status)}"><span class="one">${escapeHtml(l.statusLabel)}</span></td>
<td class="num total">${e.firstOfResident ? escapeHtml(signed(e.resident.total)) : ''}</td>
</tr>`;
}

const ENTRIES_HEAD = `<colgroup><col style="width:30mm"><col style="width:27mm"><col><col style="width:13mm"><col style="width:21mm"><col style="width:13mm"></colgroup>
<thead><tr><th>记录编号</th><th>姓名</th><th>事项</th><th class="num">积分</th><th>状态</th><th class="num">合计</th></tr></thead>`;

/** A tie group too large to print name by name: one line "另有 N 人并列" (the JSON lists them all). */
interface TiedGroup {
  rank: number;
  total: number;
  count: number;
}
type PrintedRank = RankedName | TiedGroup;

/** Names printed per list at most; a tie group that would pass it is printed as one line. */
export const LIST_PRINT_MAX = 20;

/**
 * The list as printed: every name while it fits in LIST_PRINT_MAX, and a tie group that would
 * not fit (twenty residents all at +5) as one line, so a month where many scored the same does
 * not print pages of names. Ranks are those of the list (competition ranking).
 */
export function printedList(list: readonly RankedName[], max = LIST_PRINT_MAX): PrintedRank[] {
  const out: PrintedRank[] = [];
  for (let i = 0; i < list.length; ) {
    const group = list.filter((x) => x.rank === list[i].rank);
    if (out.length + group.length > max && group.length > 1) {
      out.push({ rank: group[0].rank, total: group[0].total, count: group.length });
      break;
    }
    out.push(...group);
    i += group.length;
  }
  return out;
}

function rankCells(x: PrintedRank | undefined, cls: string): string {
  if (!x) return '<td></td><td></td><td></td>';
  const who = 'count' in x ? `${escapeHtml(x.count)} 人并列（见明细）` : escapeHtml(x.name);
  return `<td class="num ${cls}">第 ${escapeHtml(x.rank)} 名</td><td class="${cls}"><span class="one">${who}</span></td><td class="num">${escapeHtml(signed(x.total))}</td>`;
}

function listsTable(items: Item[]): string {
  const rows = items
    .map((it) => {
      const d = it.data as { red?: PrintedRank; black?: PrintedRank };
      if (!d.red && !d.black) return '<tr><td colspan="3">（无）</td><td class="gap"></td><td colspan="3">（无）</td></tr>';
      return `<tr>${d.red ? rankCells(d.red, 'red') : '<td colspan="3"></td>'}<td class="gap"></td>${d.black ? rankCells(d.black, 'black') : '<td colspan="3"></td>'}</tr>`;
    })
    .join('\n');
  return `<div class="lists-title"><span class="red">红榜（本月加分前 10 名，同分同名次）</span><span>黑榜（本月扣分前 10 名）</span></div>
<table class="lists"><colgroup><col style="width:16mm"><col><col style="width:14mm"><col style="width:4mm"><col style="width:16mm"><col><col style="width:14mm"></colgroup>
<thead><tr><th class="num">名次</th><th>姓名</th><th class="num">积分</th><th class="gap" style="border:none;background:none"></th><th class="num">名次</th><th>姓名</th><th class="num">积分</th></tr></thead><tbody>
${rows}
</tbody></table>`;
}

/**
 * The finalize checkpoint. Version 2 (a Merkle root): the short form large enough to copy by
 * hand, the full value below it, and what it is for; version 1: the hash as before.
 */
export function checkpointHtml(b: Pick<PublicBoard, 'finalized' | 'checkpoint' | 'checkpointHash'>): string {
  if (!b.finalized) return '';
  const cp = b.checkpoint;
  if (!cp || cp.version !== 2) return `<p class="checkpoint-line">入账核验码（校验哈希）：<span class="checkpoint">${escapeHtml(b.checkpointHash ?? '')}</span></p>`;
  return `<div class="merkle-root" data-checkpoint-version="2">
<p>入账核验码（默克尔树根）：<span class="checkpoint checkpoint-short">${escapeHtml(cp.rootShort)}</span></p>
<p class="checkpoint-full">完整核验码：<span class="checkpoint">${escapeHtml(cp.root)}</span></p>
<p class="checkpoint-help">本村每户积分账户的入账记录都包含在此核验码中。村民可在个人积分页“记录核验”中输入上面的简写（前 16 位）核对本户记录；记录若被改动，核验不会通过。</p>
</div>`;
}

function closingBlock(b: PublicBoard): string {
  return `<div class="closing">
<p class="notes">说明：姓名按规定隐去部分字符，同名者以（1）（2）或户号区分；记录编号不连续处为未通过或已撤回的记录；“撤销”为经异议核实后不予入账的记录，“异议处理中”的记录在答复前不入账；0 分的失信记录为“警告”，不扣分。公示编制于 ${escapeHtml(shanghaiDateTime(b.publishedAt))}。</p>
${checkpointHtml(b)}
<div class="sign"><div class="stamp">（盖章处）</div><div class="lines">
<p>发布单位：${escapeHtml(b.committee)}（盖章）</p>
<p>负责人（签字）：____________________</p>
<p>日期：__________年______月______日</p>
</div></div>
</div>`;
}

function stateNotice(b: PublicBoard): string {
  if (b.finalized) return `<p><strong>公示期已结束，结果已入账（${escapeHtml(shanghaiDateTime(b.finalizedAt ?? b.windowEndsAt))}）。</strong>入账核验码印在末页。</p>`;
  if (b.objectionOpen) {
    return `<p><strong>异议期至 ${escapeHtml(shanghaiDateTime(b.windowEndsAt))} 止。</strong>${escapeHtml(b.howToObject)}</p><p>网上提出异议：用手机扫右侧“提出异议”二维码，填写记录编号和异议内容即可。</p>`;
  }
  return `<p><strong>异议期已于 ${escapeHtml(shanghaiDateTime(b.windowEndsAt))} 结束，等待入账。</strong></p>`;
}

function qrFigures(b: PublicBoard): string {
  if (!b.boardUrl) return '';
  return `<div class="qr">
<figure class="qr-board">${qrSvg(b.boardUrl, '网上公示栏二维码')}<figcaption>扫码查看网上公示栏<div class="url">${escapeHtml(b.boardUrl)}</div></figcaption></figure>
<figure class="qr-objection">${qrSvg(b.objectionPageUrl, '提出异议二维码')}<figcaption>扫码提出异议<div class="url">${escapeHtml(b.objectionPageUrl)}</div></figcaption></figure>
</div>`;
}

function phones(b: PublicBoard): string {
  return [b.contactPhone ? `联系电话：${escapeHtml(b.contactPhone)}` : '', b.supervisionPhone ? `监督电话：${escapeHtml(b.supervisionPhone)}` : ''].filter(Boolean).join('\u3000');
}

function firstHead(b: PublicBoard, title: string): string {
  const issuer = [b.committee, b.townName].filter(Boolean).map(escapeHtml).join(' · ');
  return `<header class="first-head">
<h1>${escapeHtml(title)}</h1>
<p class="meta">发布单位：${issuer}${phones(b) ? `\u3000${phones(b)}` : ''}</p>
<p class="meta">公示期：${escapeHtml(shanghaiDateTime(b.windowStartsAt))} 至 ${escapeHtml(shanghaiDateTime(b.windowEndsAt))}\u3000异议截止：${escapeHtml(shanghaiDateTime(b.objectionDeadline))}</p>
<div class="grid"><div class="notice">${stateNotice(b)}</div>${qrFigures(b)}</div>
</header>`;
}

/** The printable 公示栏 (A4 sheets, Chinese). Every value from the board is escaped. */
export function renderBoardHtml(b: PublicBoard): string {
  const title = `${b.villageName}${periodTitle(b.period)}信义积分公示`;
  const items: Item[] = [];
  b.residents.forEach((resident, residentIndex) =>
    resident.lines.forEach((line, i) => items.push({ group: 'entries', heightMm: SHEET.rowBudgetMm, data: { resident, residentIndex, line, firstOfResident: i === 0 } })),
  );
  if (!items.length) items.push({ group: 'empty', heightMm: SHEET.rowBudgetMm, data: null });
  items.push({ group: 'totals', heightMm: SHEET.totalsMm, data: null });
  const red = printedList(b.redList);
  const black = printedList(b.blackList);
  for (let i = 0; i < Math.max(red.length, black.length, 1); i++) items.push({ group: 'lists', heightMm: SHEET.listRowBudgetMm, data: { red: red[i], black: black[i] } });
  items.push({ group: 'closing', heightMm: SHEET.closingMm + 2, data: null });

  const sheets = paginate(items, SHEET_LAYOUT);
  const total = sheets.length;
  const foot = (k: number) =>
    `<footer class="page-foot"><span>${escapeHtml(b.committee)}${phones(b) ? `\u3000${phones(b)}` : ''}</span><span class="page-no">第 ${k} 页 / 共 ${total} 页</span></footer>`;
  const body = sheets
    .map((sheet, index) => {
      const k = index + 1;
      const head = k === 1 ? firstHead(b, title) : `<header class="run-head"><span>${escapeHtml(title)}（续）</span><span>异议截止：${escapeHtml(shanghaiDateTime(b.objectionDeadline))}</span></header>`;
      const runs = runsOf(sheet)
        .map((run) => {
          if (run.group === 'entries') {
            const rows = run.items.map((it, i) => entryRow(it.data as EntryItem, i === 0)).join('\n');
            return `<table class="entries">${ENTRIES_HEAD}<tbody>\n${rows}\n</tbody></table>`;
          }
          if (run.group === 'empty') return `<table class="entries">${ENTRIES_HEAD}<tbody><tr class="line"><td colspan="6">本期无通过的记录</td></tr></tbody></table>`;
          if (run.group === 'totals') {
            return `<p class="totals">合计：共 ${escapeHtml(b.totals.residents)} 人、${escapeHtml(b.totals.entries)} 条；加分 ${escapeHtml(signed(b.totals.awarded))}，扣分 ${escapeHtml(b.totals.deducted)}</p>`;
          }
          if (run.group === 'lists') return listsTable(run.items);
          return closingBlock(b);
        })
        .join('\n');
      return `<section class="sheet" data-page="${k}">\n${head}\n<div class="body">\n${runs}\n</div>\n${foot(k)}\n</section>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}
