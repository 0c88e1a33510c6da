import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppModule } from '@app/app.module';
import { applyGlobalPrefix } from '@app/bootstrap';
import { buildOpenApiDocument, findProblems } from './document';

type Op = { security?: unknown[]; responses: Record<string, { description: string; content?: Record<string, { schema: { allOf?: Array<{ properties?: { code?: { enum?: string[] } } }>; type?: string; format?: string } }> }> };

describe('the OpenAPI document (preview mode: no PostgreSQL, no Redis)', () => {
  let app: NestFastifyApplication;
  let doc: OpenAPIObject;
  const op = (path: string, method: string) => (doc.paths[`/api/v1${path}`] as Record<string, Op>)[method];
  const codes = (o: Op, status: string) => o.responses[status]?.content?.['application/json']?.schema.allOf?.[1]?.properties?.code?.enum;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), { preview: true, logger: false, abortOnError: false });
    applyGlobalPrefix(app);
    doc = buildOpenApiDocument(app);
  });
  afterAll(() => app.close());

  it('types every success response, declares security everywhere, has no bare objects', () => {
    expect(findProblems(doc)).toEqual({ untyped: [], noSecurity: [], bareObjects: [] });
  });

  it('marks public operations with security: [] and staff ones with the bearer scheme', () => {
    expect(op('/auth/login', 'post').security).toEqual([]);
    expect(op('/public/boards/{villageId}/{period}/objections', 'post').security).toEqual([]);
    expect((doc.paths['/health'] as Record<string, Op>).get.security).toEqual([]);
    expect(op('/entries/{id}', 'get').security).toEqual([{ staff: [] }]);
    expect(op('/terminal/goods', 'get').security).toEqual([{ terminal: [] }]);
    expect((op('/entries/{id}/withdraw', 'post') as Op & { 'x-roles'?: string[] })['x-roles']).toEqual(['village_clerk']);
  });

  it('adds up the codes of @Roles and @ApiErrors per status, once each', () => {
    const withdraw = op('/entries/{id}/withdraw', 'post');
    expect(codes(withdraw, '401')).toEqual(['AUTH.INVALID_TOKEN', 'AUTH.UNAUTHENTICATED']);
    expect(codes(withdraw, '403')).toEqual(['AUTH.FORBIDDEN', 'AUTH.OUT_OF_SCOPE']);
    expect(codes(withdraw, '409')).toEqual(['CYCLE.NOT_OPEN', 'ENTRY.NOT_WITHDRAWABLE']);
    expect(codes(withdraw, '400')).toEqual(['REQUEST.MALFORMED_JSON', 'VALIDATION.FAILED']);
    expect(withdraw.responses['403'].description).not.toContain('\n');
  });

  it('declares file downloads as binary with their media types', () => {
    const content = op('/residents/{residentId}/statement.csv', 'get').responses['200'].content ?? {};
    expect(Object.keys(content)).toEqual(['text/csv']);
    expect(content['text/csv'].schema).toEqual({ type: 'string', format: 'binary' });
    expect(Object.keys(op('/public/boards/{villageId}/{period}.html', 'get').responses['200'].content ?? {})).toEqual(['text/html']);
  });

  it('types a nullable string as a nullable string', () => {
    const entry = doc.components?.schemas?.EntryDto as { properties: Record<string, unknown> };
    expect(entry.properties.reason).toEqual({ type: 'string', nullable: true });
  });
});
