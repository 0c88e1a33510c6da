/** Stable error codes of this feature (merged into ERROR_CODES). Never rename or reuse a code. */
export const SHOP_ERRORS = {
  'SHOP.NOT_FOUND': { status: 404, message: '信义超市不存在 / no such shop' },
  'SHOP.CODE_TAKEN': { status: 409, message: '超市编号已存在 / shop code taken' },
  'GOODS.NOT_FOUND': { status: 404, message: '商品不存在 / no such goods' },
  'GOODS.STOCK_NEGATIVE': { status: 409, message: '库存不足以核销 / stock would go below zero' },
  'REDEMPTION.RESIDENT_NOT_FOUND': { status: 404, message: '卡号无对应村民 / no resident with this card' },
  'REDEMPTION.RESIDENT_NOT_SERVED': { status: 403, message: '该村民所在村不由本超市服务 / this shop does not serve the resident’s village' },
  'REDEMPTION.RESIDENT_NOT_ACTIVE': { status: 409, message: '该村民不在正常状态，不能兑换 / resident is not active' },
  'REDEMPTION.GOODS_NOT_FOUND': { status: 422, message: '商品不存在或不属于本超市 / goods not found in this shop' },
  'REDEMPTION.GOODS_INACTIVE': { status: 409, message: '商品已下架 / goods not on sale' },
  'REDEMPTION.DUPLICATE_GOODS': { status: 400, message: '同一商品在一单中出现多次 / the same goods appear twice in one basket' },
  'REDEMPTION.OUT_OF_STOCK': { status: 409, message: '库存不足 / out of stock' },
  'REDEMPTION.INSUFFICIENT_POINTS': { status: 409, message: '积分余额不足 / not enough points' },
  'REDEMPTION.IDEMPOTENCY_CONFLICT': { status: 409, message: '相同幂等键已用于不同内容 / idempotency key reused with a different body' },
  'REDEMPTION.NOT_FOUND': { status: 404, message: '小票不存在 / no such receipt' },
  'REDEMPTION.BASKET_CHANGED': { status: 409, message: '商品价格刚刚变动，请重新扫码 / prices changed while redeeming; scan again' },
  'REDEMPTION.VOID_WINDOW_PASSED': { status: 409, message: '只能当天撤销 / a redemption can only be voided the same day' },
} as const satisfies Record<string, { status: number; message: string }>;
