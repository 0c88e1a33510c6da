// A bare Nest app on one HTTP adapter: node app.cjs express|fastify <port>. What our api has
// around every route, at its least: a global guard, a global interceptor, a global filter,
// helmet; and two routes, a GET answering a small object and a POST echoing a JSON body.
require('reflect-metadata');
const { NestFactory, APP_GUARD, APP_INTERCEPTOR, APP_FILTER } = require('@nestjs/core');
const { Module, Controller, Get, Post, Body, Injectable, Catch } = require('@nestjs/common');

const [kind, port] = process.argv.slice(2);

class Guard {
  canActivate(ctx) {
    ctx.switchToHttp().getRequest().principal = { kind: 'staff', id: 'u' };
    return true;
  }
}
Injectable()(Guard);

class PassThrough {
  intercept(_ctx, next) {
    return next.handle();
  }
}
Injectable()(PassThrough);

class Filter {
  catch(_err, host) {
    const res = host.switchToHttp().getResponse();
    (typeof res.status === 'function' ? res.status(500) : res.code(500)).send({ code: 'INTERNAL.ERROR' });
  }
}
Catch()(Filter);
Injectable()(Filter);

class Routes {
  live() {
    return { status: 'ok' };
  }
  echo(body) {
    return { n: body.a, lines: Array.from({ length: 10 }, (_, i) => ({ i, text: 'abcdefghij' })) };
  }
}
const proto = Routes.prototype;
Reflect.defineMetadata('design:paramtypes', [Object], proto, 'echo');
Get('live')(proto, 'live', Object.getOwnPropertyDescriptor(proto, 'live'));
Body()(proto, 'echo', 0);
Post('echo')(proto, 'echo', Object.getOwnPropertyDescriptor(proto, 'echo'));
Controller('')(Routes);

class AppModule {}
Module({
  controllers: [Routes],
  providers: [
    { provide: APP_GUARD, useClass: Guard },
    { provide: APP_INTERCEPTOR, useClass: PassThrough },
    { provide: APP_FILTER, useClass: Filter },
  ],
})(AppModule);

(async () => {
  let app;
  if (kind === 'fastify') {
    const { FastifyAdapter } = require('@nestjs/platform-fastify');
    app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
    await app.register(require('@fastify/helmet'));
  } else {
    app = await NestFactory.create(AppModule, { logger: false });
    app.use(require('helmet')());
  }
  await app.listen(Number(port), '127.0.0.1');
  process.send?.('up');
})();
