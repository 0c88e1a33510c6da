import { AppError } from '@app/common/errors/app-error';
import { fieldProblem } from './validation-messages';

/** The same alphabet and length the body field `idempotencyKey` takes. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{8,100}$/;

/**
 * The request's idempotency key, from the standard `Idempotency-Key` header or the body field
 * `idempotencyKey` (kept for the clients that send it there). Both may be sent when they agree;
 * two different keys are refused, since either choice could redeem twice or refuse a retry.
 */
export function idempotencyKeyOf(header: string | undefined, body: string | undefined, opts: { required: boolean }): string | undefined {
  const fromHeader = header === undefined || header === '' ? undefined : header;
  if (fromHeader !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(fromHeader)) {
    throw new AppError('VALIDATION.FAILED', undefined, [
      fieldProblem('Idempotency-Key', 'matches', '（请求头）格式不正确：应为 8–100 位字母、数字或 . _ : -', 'Idempotency-Key must be 8–100 of A-Z a-z 0-9 . _ : -', '幂等键'),
    ]);
  }
  if (fromHeader !== undefined && body !== undefined && fromHeader !== body) throw new AppError('REQUEST.IDEMPOTENCY_KEY_CONFLICT');
  const key = fromHeader ?? body;
  if (key === undefined && opts.required) {
    throw new AppError('VALIDATION.FAILED', undefined, [
      fieldProblem('idempotencyKey', 'isDefined', '必须填写：在 Idempotency-Key 请求头或请求体的 idempotencyKey 字段给出，超时重试时用同一个', 'an idempotency key is required (Idempotency-Key header or idempotencyKey)', '幂等键'),
    ]);
  }
  return key;
}
