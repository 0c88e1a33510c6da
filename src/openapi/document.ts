import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ErrorBodyDto, errorResponse, FieldErrorDto, RowErrorDto } from '@app/common/errors/api-errors';
import { errorEntry, type ErrorCode } from '@app/common/errors/error-codes';

type Json = Record<string, unknown>;
type Operation = {
  operationId?: string;
  parameters?: Array<{ in: string }>;
  requestBody?: { content?: Record<string, unknown> };
  responses: Record<string, { description?: string; content?: Record<string, { schema?: Json }> }>;
  security?: unknown[];
  [ext: `x-${string}`]: unknown;
};

/** Marks an operation as needing no credentials; `finishDocument` turns it into `security: []`. */
export const PUBLIC_EXTENSION = 'x-public';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * The API document as `/docs-json` serves it and `web/src/api/openapi.json` commits it: every
 * operation with a typed success response, its error codes, and its security. Building it needs
 * only the module graph (an app created with `preview: true` is enough), not PostgreSQL or Redis.
 */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('信义积分 ledger service')
    .setDescription(
      '村级信义积分：目录、月度评议与公示、只增不改的积分账本、信义超市兑换。Errors: `{ statusCode, code, message, details?, requestId }` (schema `ErrorBodyDto`); each operation lists the codes it may answer.',
    )
    .setVersion('1')
    .addServer('/', 'this server')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'staff')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'terminal')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'x-resident-token', description: '村民手机页令牌（积分卡个人二维码 /r/#<令牌>）' }, 'resident')
    .build();
  const doc = SwaggerModule.createDocument(app, config, { extraModels: [ErrorBodyDto, FieldErrorDto, RowErrorDto] });
  // DocumentBuilder only sets a license with a URL; ours has none (package.json: UNLICENSED).
  doc.info = { title: doc.info.title, description: doc.info.description, version: doc.info.version, license: { name: 'UNLICENSED (proprietary)' } };
  finishDocument(doc);
  return sortDocument(doc);
}

export interface DocumentProblems {
  /** Operations whose 2xx response has no schema (and is not 204). */
  untyped: string[];
  /** Operations that declare neither `@Public`, `@Roles` nor `@TerminalAuth`. */
  noSecurity: string[];
  /** Schema properties that came out as a bare `object` (a `string | null` without `type`). */
  bareObjects: string[];
}

function* operations(doc: OpenAPIObject): Generator<[string, Operation]> {
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = (item as Record<string, Operation | undefined>)[method];
      if (op) yield [`${method.toUpperCase()} ${path}`, op];
    }
  }
}

/**
 * What the decorators cannot say: `security: []` on public operations, and the error codes
 * every operation of a kind may answer (a bad parameter or body is a 400 VALIDATION.FAILED; a
 * JSON body may be malformed or too large).
 */
export function finishDocument(doc: OpenAPIObject): void {
  for (const [, op] of operations(doc)) {
    if (op[PUBLIC_EXTENSION]) {
      delete op[PUBLIC_EXTENSION];
      op.security = [];
    }
    const codes: ErrorCode[] = [];
    const body = op.requestBody?.content ?? {};
    if ((op.parameters?.length ?? 0) > 0 || Object.keys(body).length > 0) codes.push('VALIDATION.FAILED');
    if (body['application/json']) codes.push('REQUEST.MALFORMED_JSON', 'REQUEST.TOO_LARGE');
    if (body['multipart/form-data']) codes.push('REQUEST.TOO_LARGE');
    addErrorCodes(op, codes);
  }
}

function addErrorCodes(op: Operation, codes: readonly ErrorCode[]): void {
  for (const code of codes) {
    const status = String(errorEntry(code).status);
    const existing = op.responses[status];
    const known = existing ? codesOf(existing) : [];
    if (known.includes(code)) continue;
    const { description, schema } = errorResponse(Number(status), [...known, code].sort());
    op.responses[status] = { description, content: { 'application/json': { schema } } };
  }
}

function codesOf(response: Operation['responses'][string]): string[] {
  const schema = response.content?.['application/json']?.schema as { allOf?: Array<{ properties?: { code?: { enum?: string[] } } }> } | undefined;
  return schema?.allOf?.[1]?.properties?.code?.enum ?? [];
}

export function findProblems(doc: OpenAPIObject): DocumentProblems {
  const untyped: string[] = [];
  const noSecurity: string[] = [];
  for (const [name, op] of operations(doc)) {
    const ok = Object.entries(op.responses).filter(([status]) => /^2\d\d$/.test(status));
    const typed = ok.length > 0 && ok.every(([status, r]) => status === '204' || Object.values(r.content ?? {}).some((c) => c.schema !== undefined));
    if (!typed) untyped.push(name);
    if (!op.security) noSecurity.push(name);
  }
  const bareObjects: string[] = [];
  for (const [schemaName, schema] of Object.entries(doc.components?.schemas ?? {})) {
    for (const [prop, raw] of Object.entries((schema as { properties?: Record<string, Json> }).properties ?? {})) {
      const s = (raw.type === 'array' ? raw.items : raw) as Json;
      if (s.type === 'object' && !s.properties && !s.additionalProperties && !s.allOf) bareObjects.push(`${schemaName}.${prop}`);
    }
  }
  return { untyped, noSecurity, bareObjects };
}

/** Paths and component schemas by name, so the committed file changes only where the API does. */
export function sortDocument(doc: OpenAPIObject): OpenAPIObject {
  const byKey = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const sorted: OpenAPIObject = { ...doc, paths: byKey(doc.paths) };
  if (doc.components?.schemas) sorted.components = { ...doc.components, schemas: byKey(doc.components.schemas) };
  if (doc.tags) sorted.tags = [...doc.tags].sort((a, b) => a.name.localeCompare(b.name));
  return sorted;
}
