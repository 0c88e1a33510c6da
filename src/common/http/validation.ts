import { ValidationError, ValidationPipe } from '@nestjs/common';
import { AppError } from '@app/common/errors/app-error';

export interface FieldError {
  field: string;
  constraints: Record<string, string>;
}

/** Flattens nested class-validator errors into `items[2].quantity`-style paths. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  const out: FieldError[] = [];
  for (const e of errors) {
    const isIndex = /^\d+$/.test(e.property);
    const path = parent ? (isIndex ? `${parent}[${e.property}]` : `${parent}.${e.property}`) : e.property;
    if (e.constraints) out.push({ field: path, constraints: e.constraints });
    if (e.children?.length) out.push(...flattenValidationErrors(e.children, path));
  }
  return out;
}

/** whitelist + forbidNonWhitelisted: an unknown field is an error, never silently dropped. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => new AppError('VALIDATION.FAILED', undefined, flattenValidationErrors(errors)),
  });
}
