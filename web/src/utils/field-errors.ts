import { reactive } from 'vue';
import { ApiError } from '@/api/client';

/**
 * Errors of one form, each shown under its field (el-form-item's `error`), plus one for the
 * form as a whole. `fromApi` places what the api answered: validation details by field name,
 * and domain codes by the table a form gives (e.g. ENTRY.QUANTITY_REQUIRED → quantity).
 */
export function useFieldErrors<F extends string>(codeToField: Record<string, F> = {}) {
  const errors = reactive<Partial<Record<F | 'form', string>>>({}) as Partial<Record<F | 'form', string>>;

  function clear(): void {
    for (const k of Object.keys(errors)) delete errors[k as F];
  }

  function set(field: F | 'form', message: string): void {
    errors[field] = message;
  }

  /** True when at least one error was placed. */
  function fromApi(err: unknown, known: readonly F[]): void {
    clear();
    if (!(err instanceof ApiError)) {
      errors.form = '出错了，请稍后重试';
      return;
    }
    let placed = false;
    for (const f of err.fields) {
      const name = f.field.split(/[.[]/)[0] as F;
      if (known.includes(name)) {
        errors[name] ??= f.message;
        placed = true;
      }
    }
    const byCode = codeToField[err.code];
    if (byCode) {
      errors[byCode] = err.message;
      placed = true;
    }
    if (!placed) errors.form = err.message;
  }

  function any(): boolean {
    return Object.values(errors).some(Boolean);
  }

  return { errors, clear, set, fromApi, any };
}
