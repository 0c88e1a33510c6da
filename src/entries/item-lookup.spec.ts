import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '@app/catalog/default-catalog';
import { closestItems, itemChoice, resolveItem } from './item-lookup';

const ITEMS = DEFAULT_CATALOG.items.map((i) => ({ code: i.code, name: i.name }));

describe('resolveItem', () => {
  it('takes a code in any case and width, with or without its name (the dropdown value)', () => {
    for (const text of ['T01', 't01', 'Ｔ０１', 'T01 参加志愿服务', 'T01：参加志愿服务', ' T01  参加志愿服务 ']) {
      expect(resolveItem(text, null, ITEMS)).toEqual({ ok: true, code: 'T01' });
    }
  });

  it('takes the exact Chinese name, in the item column or in a separate name column', () => {
    expect(resolveItem('参加志愿服务', null, ITEMS)).toEqual({ ok: true, code: 'T01' });
    expect(resolveItem(null, '违规占用广场、道路打场晒粮', ITEMS)).toEqual({ ok: true, code: 'B02' });
    expect(resolveItem('B02', '违规占用广场、道路打场晒粮', ITEMS)).toEqual({ ok: true, code: 'B02' });
  });

  it('refuses a code whose stated name is another item’s', () => {
    const r = resolveItem('T01 慈善捐款', null, ITEMS);
    expect(r).toMatchObject({ ok: false, code: 'UPLOAD.ITEM_NAME_MISMATCH' });
    expect(r.ok ? '' : r.message).toContain('T01 是“参加志愿服务”');
  });

  it('suggests the closest codes for an unknown name', () => {
    const r = resolveItem('志愿服务', null, ITEMS);
    expect(r).toMatchObject({ ok: false, code: 'UPLOAD.UNKNOWN_ITEM' });
    expect(r.ok ? '' : r.message).toContain('您是否要填：T01 参加志愿服务');
    expect(closestItems('乱停车辆', ITEMS).map((i) => i.code)).toContain('B01');
  });

  it('refuses an unknown code, and a name shared by two items', () => {
    expect(resolveItem('T99', null, ITEMS)).toMatchObject({ ok: false, code: 'UPLOAD.UNKNOWN_ITEM' });
    const twins = [
      { code: 'T01', name: '好人好事' },
      { code: 'V01', name: '好人好事' },
    ];
    expect(resolveItem('好人好事', null, twins)).toMatchObject({ ok: false, code: 'UPLOAD.AMBIGUOUS_ITEM' });
  });

  it('writes the dropdown value as code, space, name', () => {
    expect(itemChoice({ code: 'T01', name: '参加志愿服务' })).toBe('T01 参加志愿服务');
  });
});
