import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installJsonParser } from './json-body';
import { MAX_JSON_DEPTH } from './json-depth';

/** The JSON body parser on a bare Fastify: what reaches a handler, and what is refused with which `type`. */
describe('installJsonParser', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify({ bodyLimit: 1024 });
    installJsonParser(app);
    app.post('/echo', async (req) => ({ body: req.body }));
    app.setErrorHandler(async (err: Error & { type?: string; code?: string; statusCode?: number }, _req, reply) => reply.code(err.statusCode ?? 500).send({ refused: err.type ?? err.code }));
    await app.ready();
  });
  afterAll(() => app.close());

  const post = (payload: string | Buffer, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/echo', payload, headers: { 'content-type': 'application/json', ...headers } });

  it('parses objects and arrays; an empty body is {} (as express.json)', async () => {
    expect((await post('{"a":[1,{"b":"}]"}]}')).json()).toEqual({ body: { a: [1, { b: '}]' }] } });
    expect((await post(' [1,2]')).json()).toEqual({ body: [1, 2] });
    expect((await post('')).json()).toEqual({ body: {} });
    expect((await post('{"x":1}', { 'content-type': 'application/json; charset=UTF-8' })).json()).toEqual({ body: { x: 1 } });
  });

  it('refuses a primitive at the top, malformed text, and nesting deeper than the limit (before parsing)', async () => {
    for (const text of ['"just a string"', '42', 'null', '{"a":', '{a:1}']) {
      const res = await post(text);
      expect([text, res.statusCode, res.json()]).toEqual([text, 400, { refused: 'entity.parse.failed' }]);
    }
    const deep = await post('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1));
    expect([deep.statusCode, deep.json()]).toEqual([400, { refused: 'entity.too.deep' }]);
    expect((await post('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).statusCode).toBe(200);
  });

  it('refuses another charset and a compressed body (415), and a body over the limit (413)', async () => {
    const latin1 = await post('{"x":"\xe9"}', { 'content-type': 'application/json; charset=latin1' });
    expect([latin1.statusCode, latin1.json()]).toEqual([415, { refused: 'charset.unsupported' }]);
    const gz = await post(Buffer.from([0x1f, 0x8b, 0x08]), { 'content-encoding': 'gzip' });
    expect([gz.statusCode, gz.json()]).toEqual([415, { refused: 'charset.unsupported' }]);
    const big = await post(JSON.stringify({ x: 'y'.repeat(2000) }));
    expect([big.statusCode, big.json()]).toEqual([413, { refused: 'FST_ERR_CTP_BODY_TOO_LARGE' }]);
  });
});
