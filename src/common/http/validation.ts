import { ValidationPipe, type ArgumentMetadata } from '@nestjs/common';
import { AppError } from '@app/common/errors/app-error';
import { cacheValidationMetadata } from './validation-metadata-cache';
import { describeValidationErrors, fieldProblem } from './validation-messages';

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
      throw new AppError('VALIDATION.FAILED', undefined, nul.map((field) => fieldProblem(field, 'noNul', '不能包含空字符（U+0000）', `${field} must not contain the NUL character (U+0000)`)));
    }
    return super.transform(normalized, metadata);
  }
}

/** whitelist + forbidNonWhitelisted: an unknown field is an error, never silently dropped. */
export function createValidationPipe(): ValidationPipe {
  cacheValidationMetadata();
  return new AppValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    stopAtFirstError: false,
    // The target and value are kept on the errors (never sent) so the messages can name the
    // field's label and tell a missing field from a wrong one.
    validationError: { target: true, value: true },
    exceptionFactory: (errors) => new AppError('VALIDATION.FAILED', undefined, describeValidationErrors(errors)),
  });
}
