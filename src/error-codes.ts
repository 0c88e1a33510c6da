/**
 * The whole error-code table, assembled at the root (beside `features.ts`) so that `common/`
 * imports no feature: the codes of no feature in particular (common/errors) and each feature's
 * `<feature>.errors.ts`. Importing this file fills the runtime registry (`errorEntry`,
 * `isErrorCode`) once, and its `declare module` makes every code a member of `ErrorCode`.
 *
 * Load it before anything builds an `AppError` or applies `@ApiErrors` (controllers do at import):
 * the entry points (main.ts, worker.ts, openapi/cli.ts, database/cli.ts), app.module.ts and
 * worker.module.ts, the bench scripts that call services, and vitest's `setupFiles`.
 * A new feature with codes adds its table to `ERROR_TABLES` below.
 */
import { AUTH_ERRORS } from '@app/auth/auth.errors';
import { TERMINAL_ERRORS } from '@app/auth/terminal.errors';
import { BOARD_ERRORS } from '@app/board/board.errors';
import { CATALOG_ERRORS } from '@app/catalog/catalog.errors';
import { COMMON_ERRORS, registerErrorCodes } from '@app/common/errors/error-codes';
import { ENTRY_ERRORS } from '@app/entries/entry.errors';
import { LEDGER_ERRORS } from '@app/ledger/ledger.errors';
import { NOTICE_ERRORS } from '@app/notices/notices.errors';
import { ORG_ERRORS } from '@app/org/org.errors';
import { RESIDENT_PAGE_ERRORS } from '@app/resident/resident.errors';
import { REVIEW_ERRORS } from '@app/review/review.errors';
import { SHOP_ERRORS } from '@app/shop/shop.errors';
import { SYSTEM_ERRORS } from '@app/system/system.errors';

/** One list, for the runtime registry and the type alike: a table cannot be in one and not the other. */
export const ERROR_TABLES = [
  COMMON_ERRORS,
  SYSTEM_ERRORS,
  AUTH_ERRORS,
  TERMINAL_ERRORS,
  ORG_ERRORS,
  CATALOG_ERRORS,
  ENTRY_ERRORS,
  LEDGER_ERRORS,
  SHOP_ERRORS,
  REVIEW_ERRORS,
  BOARD_ERRORS,
  NOTICE_ERRORS,
  RESIDENT_PAGE_ERRORS,
] as const;

type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type AllErrors = Intersection<(typeof ERROR_TABLES)[number]>;

declare module '@app/common/errors/error-codes' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- the augmentation itself
  interface ErrorCodeTable extends AllErrors {}
}

registerErrorCodes(...ERROR_TABLES);
