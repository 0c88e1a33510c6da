import { shanghaiDateTime } from '@app/common/time';
import { escapeHtml } from './board-html';
import type { PublicBoard } from './board-view';

/**
 * The public objection page: a plain HTML form (works without JavaScript, on a phone), in
 * Chinese, posting to itself. Errors are shown next to their field; the answer page gives the
 * objection number and what happens next. Every value is escaped.
 */
export interface ObjectionFormValues {
  recordNo: string;
  reason: string;
  name: string;
  contact: string;
}

export type ObjectionField = keyof ObjectionFormValues;
export type FieldErrors = Partial<Record<ObjectionField, string>>;

export const REASON_MAX = 1000;

/** The form's own checks (the JSON endpoint's limits; name and contact may be left empty). */
export function checkObjectionForm(v: ObjectionFormValues): FieldErrors {
  const errors: FieldErrors = {};
  if (!v.recordNo.trim()) errors.recordNo = '请填写记录编号（公示栏每行最左边，如 DC-2611-0042）';
  const reason = v.reason.trim();
  if (reason.length < 2) errors.reason = '请写明哪里不对（至少 2 个字）';
  else if (reason.length > REASON_MAX) errors.reason = `异议内容最多 ${REASON_MAX} 字，现在是 ${reason.length} 字`;
  if (v.name.trim().length > 40) errors.name = '姓名最多 40 字';
  const contact = v.contact.trim();
  if (contact && (contact.length < 3 || contact.length > 60)) errors.contact = '联系方式应为 3–60 个字符（如手机号）；不想留可以空着';
  return errors;
}

const STYLE = `
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif; font-size: 18px; line-height: 1.5; color: #111; margin: 0; background: #f4f4f4; }
main { max-width: 36rem; margin: 0 auto; padding: 1rem; background: #fff; min-height: 100vh; }
h1 { font-size: 1.35rem; margin: 0 0 .5rem; }
.sub { color: #444; margin: 0 0 1rem; font-size: 1rem; }
label { display: block; font-weight: bold; margin: 1rem 0 .25rem; }
.hint { display: block; font-weight: normal; color: #555; font-size: .9rem; }
input, textarea { display: block; width: 100%; font: inherit; padding: .6rem; border: 1px solid #888; border-radius: 4px; }
textarea { min-height: 8rem; }
[aria-invalid="true"] { border: 2px solid #b91c1c; background: #fff5f5; }
.field-error { color: #b91c1c; font-weight: bold; margin: .25rem 0 0; }
.form-error, .closed { border: 2px solid #b91c1c; color: #b91c1c; padding: .75rem; border-radius: 4px; margin: 1rem 0; }
button { display: block; width: 100%; margin: 1.5rem 0 1rem; padding: .8rem; font: inherit; font-weight: bold; color: #fff; background: #b91c1c; border: 0; border-radius: 4px; }
.done { border: 2px solid #15803d; padding: 1rem; border-radius: 4px; }
.number { font-size: 1.6rem; font-weight: bold; font-family: "DejaVu Sans Mono", Consolas, monospace; letter-spacing: .03em; }
ol { padding-left: 1.4rem; }
a { color: #1d4ed8; }
.foot { color: #555; font-size: .9rem; margin-top: 2rem; }
`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>
`;
}

function boardTitle(b: PublicBoard): string {
  const [y, m] = b.period.split('-');
  return `${b.villageName}${y}年${Number(m)}月信义积分公示`;
}

function contacts(b: PublicBoard): string {
  const parts = [b.contactPhone ? `村联系电话 ${escapeHtml(b.contactPhone)}` : '', b.supervisionPhone ? `镇监督电话 ${escapeHtml(b.supervisionPhone)}` : ''].filter(Boolean);
  return parts.length ? `<p class="foot">${escapeHtml(b.committee)}：${parts.join('；')}</p>` : `<p class="foot">发布单位：${escapeHtml(b.committee)}</p>`;
}

function field(name: ObjectionField, label: string, hint: string, values: ObjectionFormValues, errors: FieldErrors, input: (attrs: string) => string): string {
  const err = errors[name];
  const id = `f-${name}`;
  const attrs = `id="${id}" name="${name}"${err ? ` aria-invalid="true" aria-describedby="${id}-error"` : ''}`;
  return `<label for="${id}">${escapeHtml(label)}<span class="hint">${escapeHtml(hint)}</span></label>
${input(attrs)}
${err ? `<p class="field-error" id="${id}-error" role="alert">${escapeHtml(err)}</p>` : ''}`;
}

/** Lines a resident may pick from (typing still works): only for boards of a readable size. */
const DATALIST_MAX = 300;

export function renderObjectionForm(b: PublicBoard, action: string, values: ObjectionFormValues, errors: FieldErrors = {}, formError?: string): string {
  const head = `<h1>对公示提出异议</h1>
<p class="sub">${escapeHtml(boardTitle(b))}\u3000<a href="${escapeHtml(b.boardUrl)}">查看公示栏</a></p>`;
  if (!b.objectionOpen) {
    return page(`提出异议 - ${boardTitle(b)}`, `${head}<p class="closed">本期异议期已于 ${escapeHtml(shanghaiDateTime(b.objectionDeadline))} 结束，不能再在网上提出异议。如有问题请联系村委会。</p>${contacts(b)}`);
  }
  const lines = b.residents.flatMap((r) => r.lines.map((l) => ({ recordNo: l.recordNo, label: `${r.name} ${l.itemName} ${l.pointsLabel}` })));
  const datalist = lines.length <= DATALIST_MAX ? `<datalist id="records">${lines.map((l) => `<option value="${escapeHtml(l.recordNo)}">${escapeHtml(l.label)}</option>`).join('')}</datalist>` : '';
  const body = `${head}
<p>异议截止：<strong>${escapeHtml(shanghaiDateTime(b.objectionDeadline))}</strong>。请照公示栏上印的<strong>记录编号</strong>填写，并写明哪里不对。</p>
${formError ? `<p class="form-error" role="alert">${escapeHtml(formError)}</p>` : ''}
<form method="post" action="${escapeHtml(action)}" accept-charset="utf-8" novalidate>
${field('recordNo', '记录编号（必填）', '公示栏每行最左边的编号，如 DC-2611-0042', values, errors, (a) => `<input ${a} value="${escapeHtml(values.recordNo)}" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="40"${datalist ? ' list="records"' : ''}>`)}
${datalist}
${field('reason', '哪里不对（必填）', `例如：当天我不在村里；分数算错了。最多 ${REASON_MAX} 字`, values, errors, (a) => `<textarea ${a} maxlength="${REASON_MAX + 200}">${escapeHtml(values.reason)}</textarea>`)}
${field('name', '您的姓名（可不填）', '只给村信用议事会看，不公开', values, errors, (a) => `<input ${a} value="${escapeHtml(values.name)}" autocomplete="name" maxlength="60">`)}
${field('contact', '联系方式（可不填）', '手机号等，方便答复您；不公开', values, errors, (a) => `<input ${a} value="${escapeHtml(values.contact)}" autocomplete="tel" inputmode="tel" maxlength="80">`)}
<button type="submit">提交异议</button>
</form>
<p class="hint">提交后该记录在答复前暂不入账。也可以到村委会口头或书面提出。</p>
${contacts(b)}`;
  return page(`提出异议 - ${boardTitle(b)}`, body);
}

export interface FiledForPage {
  number: string;
  recordNo: string;
  dueAt: Date;
}

export function renderObjectionFiled(b: PublicBoard, filed: FiledForPage, leftContact: boolean): string {
  const body = `<h1>异议已提交</h1>
<p class="sub">${escapeHtml(boardTitle(b))}</p>
<div class="done">
<p>您的异议编号：</p>
<p class="number" data-objection-number>${escapeHtml(filed.number)}</p>
<p>所异议的记录：<strong>${escapeHtml(filed.recordNo)}</strong></p>
</div>
<h2>接下来</h2>
<ol>
<li>这条记录从现在起标为“异议处理中”，答复前不入账。</li>
<li>村信用议事会将在 <strong>${escapeHtml(shanghaiDateTime(filed.dueAt))}</strong> 前核实并书面答复：异议成立的，记录撤销；不成立的，照常入账。</li>
<li>${leftContact ? '答复会按您留下的联系方式告诉您；' : '您没有留联系方式：'}也可以凭异议编号到村委会查询结果。请记下或截图保存异议编号。</li>
</ol>
<p><a href="${escapeHtml(b.boardUrl)}">返回公示栏</a></p>
${contacts(b)}`;
  return page('异议已提交', body);
}

/** A public page's error (no board, too many submissions, bad address): Chinese, no codes to decode. */
export function renderPublicError(status: number, message: string): string {
  const title = status === 404 ? '没有找到这一期公示' : status === 429 ? '提交太频繁' : '出错了';
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p class="foot">如有问题请联系村委会。</p>`);
}
