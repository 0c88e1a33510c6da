import { ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Walks what a client sent (body, query, route params): a string with U+0000
 * is refused (PostgreSQL cannot store it in text or jsonb, so it was a 500), and a UUID is
 * lower-cased, since ids are compared as PostgreSQL prints them and an upper-case id of a real
 * row must not be "not found". Returns the paths of NUL-bearing strings.
 */
export function normalizeInput(value: unknown, path = '', found: string[] = [], depth = 0): { value: unknown; nul: string[] } {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) found.push(path || 'value');
    return { value: UUID.test(value) ? value.toLowerCase() : value, nul: found };
  }
  if (depth > 32 || value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return { value, nul: found };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = normalizeInput(value[i], `${path}[${i}]`, found, depth + 1).value;
    return { value, nul: found };
  }
  for (const key of Object.keys(value)) {
    if (key.includes('\u0000')) found.push(path ? `${path}.${key}` : key);
    const obj = value as Record<string, unknown>;
    obj[key] = normalizeInput(obj[key], path ? `${path}.${key}` : key, found, depth + 1).value;
  }
  return { value, nul: found };
}

class AppValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Only what the client sent: custom parameters (the request context, uploaded files) are ours.
    if (metadata.type === 'custom') return super.transform(value, metadata);
    const { value: normalized, nul } = normalizeInput(value, metadata.type === 'param' || metadata.type === 'query' ? (metadata.data ?? '') : '');
    if (nul.length) {
      throw new AppError('VALIDATION.FAILED', undefined, nul.map((field) => ({ field, constraints: { noNul: `${field} must not contain the NUL character (U+0000)` } })));
    }
    return super.transform(normalized, metadata);
  }
}

/** whitelist + forbidNonWhitelisted: an unknown field is an error, never silently dropped. */
export function createValidationPipe(): ValidationPipe {
  return new AppValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    exceptionFactory: (errors) => new AppError('VALIDATION.FAILED', undefined, flattenValidationErrors(errors)),
  });
}
