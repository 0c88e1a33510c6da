/** Stable error codes of the review cycle (registered in src/error-codes.ts). Never rename or reuse a code. */
export const REVIEW_ERRORS = {
  'CYCLE.NOT_OPEN': { status: 409, message: '本期已关闭，不能再修改 / the period is not open' },
  'CYCLE.NOT_FOUND': { status: 404, message: '该村该期间没有评议周期 / no review cycle for this village and period' },
  'CYCLE.WRONG_STATE': { status: 409, message: '评议周期当前状态不允许此操作 / not allowed in the cycle’s current state' },
  'CYCLE.PERIOD_NOT_ENDED': { status: 409, message: '期间尚未结束，只能由镇管理员提前关账 / the period has not ended' },
  'CYCLE.UNDECIDED_ENTRIES': { status: 409, message: '仍有未作决定的记录，不能公示 / entries are still undecided' },
  'CYCLE.NO_MEETING': { status: 409, message: '尚未记录议事会会议，不能公示 / no meeting recorded' },
  'REVIEW.ENTRY_NOT_IN_CYCLE': { status: 422, message: '记录不属于本村本期或已不可决定 / entry not in this cycle or no longer decidable' },
  'REVIEW.REASON_REQUIRED': { status: 400, message: '不通过须说明理由 / a rejection needs a reason' },
  'BOARD.NOT_FOUND': { status: 404, message: '公示栏不存在或尚未公示 / no published board' },
  'OBJECTION.WINDOW_CLOSED': { status: 409, message: '异议期已结束 / the objection window is closed' },
  'OBJECTION.ENTRY_NOT_ON_BOARD': { status: 422, message: '该记录不在本期公示栏上 / entry is not on this board' },
  'OBJECTION.NOT_FOUND': { status: 404, message: '异议不存在 / no such objection' },
  'CYCLE.AS_OF_REFUSED': { status: 403, message: '生产环境不能提前结束异议期或按指定时间入账 / not in production: objection windows are never shortened' },
  'OBJECTION.ALREADY_ANSWERED': { status: 409, message: '该异议已答复 / objection already answered' },
  'OBJECTION.RECORD_NOT_FOUND': { status: 404, message: '没有这个记录编号，请对照公示栏上的编号（如 DC-2611-0042）/ no entry has this record number' },
} as const satisfies Record<string, { status: number; message: string }>;
