import { formatShanghai } from './deadlines';
import type { PublicBoard, PublicBoardResident } from './board-view';

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
 * A4 print: page size and margins, a CJK font stack that exists on Windows, macOS and Linux
 * offices, table headers repeated on every page (thead as table-header-group), and no row split
 * across pages (break-inside: avoid on rows). Screen view is the same page with a width limit.
 */
const STYLE = `
@page { size: A4; margin: 15mm 12mm 15mm 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "WenQuanYi Micro Hei", "SimSun", sans-serif; font-size: 10.5pt; line-height: 1.45; color: #111; margin: 0 auto; max-width: 186mm; }
h1 { font-size: 18pt; text-align: center; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; break-after: avoid; }
.meta { text-align: center; margin: 0 0 3mm; }
.notice { border: 1px solid #999; padding: 2mm 3mm; margin: 2mm 0 4mm; break-inside: avoid; }
table { width: 100%; border-collapse: collapse; margin: 0 0 3mm; }
thead { display: table-header-group; }
p.totals { font-weight: bold; break-inside: avoid; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 1px solid #666; padding: 1.2mm 1.5mm; vertical-align: top; text-align: left; }
th { background: #eee; font-weight: bold; }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.revoked td.item, tr.revoked td.num.points { text-decoration: line-through; color: #777; }
.status-disputed { color: #b45309; font-weight: bold; }
.status-revoked { color: #b91c1c; font-weight: bold; }
.lists { display: flex; gap: 6mm; break-inside: avoid; }
.lists > section { flex: 1; }
.red h2 { color: #b91c1c; }
.black h2 { color: #111; }
.checkpoint { font-family: "Noto Sans Mono CJK SC", "DejaVu Sans Mono", Consolas, monospace; word-break: break-all; }
.checkpoint-short { font-size: 16pt; font-weight: bold; letter-spacing: 0.5mm; white-space: nowrap; }
.checkpoint-full, .checkpoint-help { font-size: 9pt; margin: 1mm 0; }
footer { margin-top: 5mm; font-size: 9pt; color: #444; break-inside: avoid; }
`;

function residentRows(r: PublicBoardResident, index: number): string {
  return r.lines
    .map((l, i) => {
      const first = i === 0;
      return `<tr class="line ${escapeHtml(l.status)}" data-entry-id="${escapeHtml(l.entryId)}">
<td>${first ? index + 1 : ''}</td>
<td>${first ? escapeHtml(r.name) : ''}</td>
<td class="item">${escapeHtml(l.itemName)}<br><small>${escapeHtml(l.itemCode)} · ${l.late ? `补录（发生于 ${escapeHtml(l.occurredOn)}）` : escapeHtml(l.occurredOn)}</small></td>
<td class="num points">${escapeHtml(l.pointsLabel)}</td>
<td class="status-${escapeHtml(l.status)}">${escapeHtml(l.statusLabel)}</td>
<td class="num total">${first ? escapeHtml(signed(r.total)) : ''}</td>
</tr>`;
    })
    .join('\n');
}

function rankList(title: string, cls: string, list: PublicBoard['redList']): string {
  const rows = list.length
    ? list.map((x, i) => `<tr><td>${i + 1}</td><td>${escapeHtml(x.name)}</td><td class="num">${escapeHtml(signed(x.total))}</td></tr>`).join('\n')
    : '<tr><td colspan="3">（无）</td></tr>';
  return `<section class="${cls}"><h2>${escapeHtml(title)}</h2>
<table><thead><tr><th>名次</th><th>姓名</th><th class="num">本月积分</th></tr></thead><tbody>
${rows}
</tbody></table></section>`;
}

/**
 * The finalize checkpoint. Version 2 (a Merkle root): the short form large enough to copy by
 * hand, the full value below it, and what it is for; version 1: the hash as before.
 */
export function checkpointHtml(b: Pick<PublicBoard, 'checkpoint' | 'checkpointHash'>): string {
  const cp = b.checkpoint;
  if (!cp || cp.version !== 2) return `<p>核验码（校验哈希）：<span class="checkpoint">${escapeHtml(b.checkpointHash ?? '')}</span></p>`;
  return `<div class="merkle-root" data-checkpoint-version="2">
<p>入账核验码（默克尔树根）：<span class="checkpoint checkpoint-short">${escapeHtml(cp.rootShort)}</span></p>
<p class="checkpoint-full">完整核验码：<span class="checkpoint">${escapeHtml(cp.root)}</span></p>
<p class="checkpoint-help">本村每户积分账户的入账记录都包含在此核验码中。村民可在个人积分页“记录核验”中输入上面的简写（前 16 位）核对本户记录；记录若被改动，核验不会通过。</p>
</div>`;
}

/** The printable 公示栏 page (A4, Chinese). Every value from the board is escaped. */
export function renderBoardHtml(b: PublicBoard): string {
  const title = `${b.villageName}${periodTitle(b.period)}信义积分公示`;
  const window = `${formatShanghai(b.windowStartsAt)} 至 ${formatShanghai(b.windowEndsAt)}`;
  const stateLine = b.finalized
    ? `<p><strong>公示期已结束，结果已入账。</strong></p>${checkpointHtml(b)}`
    : b.objectionOpen
      ? `<p><strong>异议期至 ${escapeHtml(formatShanghai(b.windowEndsAt))} 止。</strong>${escapeHtml(b.howToObject)}</p><p>网上提出异议：POST ${escapeHtml(b.objectionEndpoint)}（注明记录编号）</p>`
      : `<p><strong>异议期已于 ${escapeHtml(formatShanghai(b.windowEndsAt))} 结束，等待入账。</strong></p>`;
  const body = b.residents.length
    ? b.residents.map((r, i) => residentRows(r, i)).join('\n')
    : '<tr><td colspan="6">本期无通过的记录</td></tr>';
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="meta">公示期：${escapeHtml(window)}</p>
<div class="notice">${stateLine}</div>
<h2>积分明细</h2>
<table class="entries">
<thead><tr><th>序号</th><th>姓名</th><th>事项</th><th class="num">积分</th><th>状态</th><th class="num">合计</th></tr></thead>
<tbody>
${body}
</tbody>
</table>
<p class="totals">合计：共 ${escapeHtml(b.totals.residents)} 人、${escapeHtml(b.totals.entries)} 条；加分 ${escapeHtml(signed(b.totals.awarded))}，扣分 ${escapeHtml(b.totals.deducted)}</p>
<div class="lists">
${rankList('红榜', 'red', b.redList)}
${rankList('黑榜', 'black', b.blackList)}
</div>
<footer>姓名按规定隐去部分字符；“撤销”为经异议核实后不予入账的记录，“异议处理中”的记录在答复前不入账。公示编制于 ${escapeHtml(formatShanghai(b.publishedAt))}。</footer>
</body>
</html>
`;
}
