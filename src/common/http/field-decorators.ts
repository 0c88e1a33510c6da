import { applyDecorators } from '@nestjs/common';
import { ApiProperty, type ApiPropertyOptions } from '@nestjs/swagger';
import { IsInt, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';

export const PERIOD_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;
export const CARD_CODE_PATTERN = /^[A-Z0-9]{6,20}$/;

/** A period `YYYY-MM` (Asia/Shanghai month). */
export function IsPeriod(options: ApiPropertyOptions = {}) {
  return applyDecorators(
    IsString(),
    Matches(PERIOD_PATTERN, { message: '$property must be a period YYYY-MM' }),
    ApiProperty({ example: '2026-11', pattern: PERIOD_PATTERN.source, description: '期间（年-月）', ...options } as ApiPropertyOptions),
  );
}

/** Signed integer points within a sane bound. */
export function IsPoints(options: ApiPropertyOptions = {}) {
  return applyDecorators(
    IsInt(),
    Min(-100000),
    Max(100000),
    ApiProperty({ type: 'integer', description: '积分（整数）', ...options } as ApiPropertyOptions),
  );
}

/** The printable code on a resident's shop card. */
export function IsCardCode(options: ApiPropertyOptions = {}) {
  return applyDecorators(
    IsString(),
    MaxLength(20),
    Matches(CARD_CODE_PATTERN, { message: '$property must be 6–20 upper-case letters or digits' }),
    ApiProperty({ example: 'DC0001A7', description: '积分卡号', ...options } as ApiPropertyOptions),
  );
}

export function IsUuidField(options: ApiPropertyOptions = {}) {
  return applyDecorators(IsUUID('all'), ApiProperty({ format: 'uuid', ...options } as ApiPropertyOptions));
}
