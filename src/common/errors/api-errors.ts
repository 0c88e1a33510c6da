import { ApiProperty, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { errorEntry, isErrorCode, type ErrorCode } from './error-codes';

/** `details` of VALIDATION.FAILED: one per refused field. */
export class FieldErrorDto {
  @ApiProperty({ description: '字段路径，如 items[2].quantity', example: 'occurredOn' }) field: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: '未通过的校验及说明' }) constraints: Record<string, string>;
}

/** `details` of an upload refused as a whole (ENTRY.UPLOAD_INVALID, ROSTER.INVALID, …): one per bad cell, row or file. */
export class RowErrorDto {
  @ApiProperty({ type: 'integer', description: 'Excel 行号（含表头；0 表示整个文件）' }) row: number;
  @ApiProperty({ type: String, nullable: true, description: '列名（整行或整个文件的错误为 null）' }) column: string | null;
  @ApiProperty({ description: '错误代码（UPLOAD.* 或业务错误码）', example: 'UPLOAD.INVALID_DATE' }) code: string;
  @ApiProperty({ description: '中文说明' }) message: string;
}

/** The one error shape (`ErrorBody`), as the document shows it. */
export class ErrorBodyDto {
  @ApiProperty({ type: 'integer', description: 'HTTP 状态码', example: 404 }) statusCode: number;
  @ApiProperty({ description: '稳定的错误码：客户端据此分支，不会改名或复用', example: 'ENTRY.NOT_FOUND' }) code: string;
  @ApiProperty({ description: '中文说明（附英文）' }) message: string;
  @ApiProperty({
    required: false,
    description: '附加信息：VALIDATION.FAILED 为逐字段错误，整表拒收的上传为逐行错误，其他为与错误码有关的值',
    anyOf: [
      { type: 'array', items: { $ref: getSchemaPath(FieldErrorDto) } },
      { type: 'array', items: { $ref: getSchemaPath(RowErrorDto) } },
      { type: 'array', items: {} },
      { type: 'object', additionalProperties: true },
    ],
  })
  details?: unknown;
  @ApiProperty({ description: '请求编号（同响应头 x-request-id），报告问题时提供' }) requestId: string;
}

const CODES_KEY = 'xinyi:api-error-codes';
/** @nestjs/swagger's `SWAGGER_RESPONSES_KEY` (its constants are not exported). */
const SWAGGER_RESPONSES_KEY = 'swagger/apiResponse';

/**
 * The error codes an operation may answer, documented as one response per status whose schema
 * is the error shape with `code` narrowed to those codes. Applied several times on one handler
 * (`@Roles` adds the auth codes, the handler its own) the codes add up.
 */
export function ApiErrors(...codes: ErrorCode[]): MethodDecorator & ClassDecorator {
  return (target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const host = descriptor ? (descriptor.value as object) : target;
    const all = [...new Set<ErrorCode>([...((Reflect.getMetadata(CODES_KEY, host) as ErrorCode[] | undefined) ?? []), ...codes])];
    Reflect.defineMetadata(CODES_KEY, all, host);
    const groups = groupByStatus(all);
    // ApiResponse would merge a second response of one status into the first (descriptions
    // joined): drop ours of earlier applications, this one has every code so far.
    const responses = { ...((Reflect.getMetadata(SWAGGER_RESPONSES_KEY, host) as Record<string, unknown> | undefined) ?? {}) };
    for (const status of groups.keys()) delete responses[String(status)];
    Reflect.defineMetadata(SWAGGER_RESPONSES_KEY, responses, host);
    for (const [status, group] of groups) {
      ApiResponse(errorResponse(status, group))(target, key as string | symbol, descriptor as PropertyDescriptor);
    }
  };
}

export function groupByStatus(codes: readonly ErrorCode[]): Map<number, ErrorCode[]> {
  const out = new Map<number, ErrorCode[]>();
  for (const code of [...codes].sort()) {
    const status = errorEntry(code).status;
    out.set(status, [...(out.get(status) ?? []), code]);
  }
  return out;
}

export function errorResponse(status: number, codes: readonly string[]) {
  return {
    status,
    description: codes.map((c) => `\`${c}\` ${isErrorCode(c) ? errorEntry(c).message : ''}`.trim()).join('<br>'),
    schema: {
      allOf: [{ $ref: '#/components/schemas/ErrorBodyDto' }, { type: 'object' as const, properties: { code: { type: 'string' as const, enum: [...codes] } } }],
    },
  };
}
