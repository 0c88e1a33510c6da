import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validate } from 'class-validator';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RedeemDto, StockAdjustDto } from '@app/shop/shop.dto';
import { describeValidationErrors, labelForProperty, shortLabel } from '@app/common/http/validation-messages';

// At the root, not beside common/http/validation-messages.ts: it reads every feature's DTOs (and
// shop's for examples), and common/ imports no feature (eslint.config.mjs).
const HAN = /\p{Script=Han}/u;
// vitest runs from the repository root.
const SRC = join(process.cwd(), 'src/');

async function errorsOf<T extends object>(cls: new () => T, body: unknown) {
  const errors = await validate(plainToInstance(cls, body) as object, { whitelist: true, forbidNonWhitelisted: true, validationError: { target: true, value: true } });
  return describeValidationErrors(errors);
}

describe('validation messages', () => {
  it('every validated field of every DTO has a Chinese label', async () => {
    const missing: string[] = [];
    for (const feature of readdirSync(SRC, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const file of readdirSync(`${SRC}${feature.name}`).filter((f) => f.endsWith('.dto.ts'))) {
        const mod = (await import(`${SRC}${feature.name}/${file}`)) as Record<string, unknown>;
        for (const [name, cls] of Object.entries(mod)) {
          if (typeof cls !== 'function') continue;
          const props = new Set(getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false).map((m) => m.propertyName));
          for (const p of props) {
            const label = labelForProperty(cls as new () => object, p);
            if (!label || !HAN.test(label)) missing.push(`${feature.name}/${file} ${name}.${p}`);
          }
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('names the field by label and path, says what is wrong with the declared bounds, English after', async () => {
    const details = await errorsOf(StockAdjustDto, { kind: 'stolen', quantity: 0, extra: 1 });
    const by = Object.fromEntries(details.map((d) => [d.field, d]));
    expect(by.kind.message).toMatch(/^入库 \/ 报损（kind）不正确：应为以下之一：received、written_off \/ kind must be one of/);
    expect(by.quantity.message).toMatch(/^数量（quantity）不正确：不能小于 1 \/ quantity must not be less than 1$/);
    expect(by.reason.message).toMatch(/^原因（reason）必须填写：应为文本；不能为空；长度不能超过 200 个字符 \/ /);
    expect(by.extra.message).toMatch(/^字段 extra是不接受的字段，请去掉 \/ property extra should not exist$/);
    expect(by.quantity.constraints).toEqual({ min: 'quantity must not be less than 1' });
  });

  it('names nested fields by their path and their own label', async () => {
    const details = await errorsOf(RedeemDto, { cardCode: 'dc 01', lines: [{ goodsId: 'nope', quantity: 101 }], idempotencyKey: 'k' });
    const by = Object.fromEntries(details.map((d) => [d.field, d.message]));
    expect(Object.keys(by).sort()).toEqual(['cardCode', 'idempotencyKey', 'lines[0].goodsId', 'lines[0].quantity']);
    expect(by['lines[0].quantity']).toMatch(/^数量（lines\[0\]\.quantity）不正确：不能大于 100 \//);
    expect(by['lines[0].goodsId']).toMatch(/^商品（lines\[0\]\.goodsId）不正确：应为 UUID/);
    expect(by.cardCode).toMatch(/^村民积分卡号（cardCode）不正确：格式不正确，应如 DC0001A7 \//);
    for (const m of Object.values(by)) expect(m).toMatch(HAN);
  });

  it('takes the name before an explanation', () => {
    expect(shortLabel('操作人 ID（工作人员或终端 ID）')).toBe('操作人 ID');
    expect(shortLabel('起始时间（含），ISO 8601')).toBe('起始时间');
    expect(shortLabel('兑换明细（价格由系统按商品计算）')).toBe('兑换明细');
  });
});
