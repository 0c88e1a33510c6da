/** Stable error codes of this feature (registered in src/error-codes.ts). Never rename or reuse a code. */
export const LEDGER_ERRORS = {
  'LEDGER.ACCOUNT_NOT_FOUND': { status: 404, message: '积分账户（村民）不存在 / no such account or resident' },
  'LEDGER.POSTING_NOT_FOUND': { status: 404, message: '记账记录不存在 / no such posting' },
  'LEDGER.NOT_CORRECTABLE': { status: 409, message: '只有积分事项记账可以更正 / only deed postings can be corrected' },
  'LEDGER.ALREADY_REVERSED': { status: 409, message: '该记账已冲正 / posting already reversed' },
  'LEDGER.OPENING_BALANCE_EXISTS': { status: 409, message: '期初余额已录入，未保存任何记录 / opening balance already recorded; nothing stored' },
  'LEDGER.INSUFFICIENT_POINTS': { status: 409, message: '积分余额不足 / balance would go below zero' },
  'LEDGER.SOURCE_CONFLICT': { status: 409, message: '同一来源正被并发记账，请重试 / the same source is being posted concurrently; retry' },
  'LEDGER.YEAR_NOT_ENDED': { status: 409, message: '该评定年度尚未结束 / the rating year has not ended yet' },
  'LEDGER.DUPLICATE_LINES': { status: 400, message: '同一村民出现多次 / a resident appears more than once' },
  'LEDGER.CHECKPOINT_NOT_FOUND': { status: 404, message: '该村该期尚未入账，没有核验码 / no finalized checkpoint for this village and period' },
  'LEDGER.CHECKPOINT_WITHOUT_PROOFS': { status: 409, message: '该期核验码为旧格式（版本 1），不能逐户核验 / a version 1 checkpoint has no inclusion proofs' },
  'LEDGER.NOT_IN_CHECKPOINT': { status: 404, message: '该账户不在这一期的核验码中（入账后才开户） / the account is not in that checkpoint' },
} as const satisfies Record<string, { status: number; message: string }>;
