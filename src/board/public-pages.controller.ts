import { ArgumentsHost, Body, Catch, Controller, type ExceptionFilter, Get, HttpCode, Logger, Param, Post, Query, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle, ThrottlerGuard } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, PublicCtx } from '@app/auth/auth.decorators';
import type { PublicContext } from '@app/auth/principal';
import { AppError } from '@app/common/errors/app-error';
import { GlobalExceptionFilter } from '@app/common/errors/global-exception.filter';
import { AppConfig } from '@app/config/app-config';
import { ObjectionsService } from '@app/review/objections.service';
import { ObjectionFormBody, ObjectionPageQuery, PublicPageParams } from './board.dto';
import { BoardService } from './board.service';
import { checkObjectionForm, renderObjectionFiled, renderObjectionForm, renderPublicError, type FieldErrors, type ObjectionFormValues } from './objection-page';
import { publicBase } from './public-base';
import { pathOf, sendRendered } from './rendered-body';

const HTML = 'text/html; charset=utf-8';

/** What a resident reads instead of an error code: the Chinese half of the message, or a plainer one. */
const PLAIN: Record<string, string> = {
  'BOARD.NOT_FOUND': '这一期公示不存在或尚未公示，请核对二维码或网址。',
  'RATE.LIMITED': '这台手机（或这个网络）提交得太频繁了，请过一分钟再试。',
  'VALIDATION.FAILED': '网址或填写的内容不正确，请返回重新打开公示栏上的二维码。',
  'ROUTE.NOT_FOUND': '没有这个页面，请核对二维码或网址。',
};

/** Errors of the public pages as a Chinese HTML page with the right status, never JSON. */
@Catch()
export class PublicPageFilter implements ExceptionFilter {
  private readonly logger = new Logger(PublicPageFilter.name);
  private readonly shapes = new GlobalExceptionFilter();

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<FastifyRequest>();
    const res = host.switchToHttp().getResponse<FastifyReply>();
    const body = this.shapes.toBody(exception, req.id);
    if (body.statusCode >= 500) this.logger.error({ err: exception, code: body.code, requestId: body.requestId }, 'public page failed');
    if (res.sent) return;
    if (exception instanceof AppError && exception.headers) res.headers(exception.headers);
    const message = PLAIN[body.code] ?? (body.statusCode >= 500 ? '系统暂时出了问题，请稍后再试。' : body.message.split(' / ')[0]);
    void res.code(body.statusCode).type(HTML).send(renderPublicError(body.statusCode, message));
  }
}

/**
 * The pages residents open from the printed board's QR codes, outside the API prefix so the
 * printed addresses read as pages, not as an API: /board/<town>/<village>/<period> (the board)
 * and …/objection (a form that works without JavaScript). Not in the OpenAPI document: they are
 * pages for people; the JSON endpoints stay the API.
 */
@ApiExcludeController()
@UseFilters(PublicPageFilter)
@Controller('board')
export class PublicPagesController {
  constructor(
    private readonly boards: BoardService,
    private readonly objections: ObjectionsService,
    private readonly config: AppConfig,
  ) {}

  private base(req: FastifyRequest): string {
    return publicBase(req, this.config.get('PUBLIC_BASE_URL'));
  }

  @Get(':town/:village/:period')
  @Public()
  async board(@Param() p: PublicPageParams, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const villageId = await this.boards.villageByCodes(p.town, p.village);
    await sendRendered(req, res, await this.boards.boardHtmlBody(villageId, p.period, undefined, this.base(req)), HTML);
  }

  @Get(':town/:village/:period/objection')
  @Public()
  async form(@Param() p: PublicPageParams, @Query() q: ObjectionPageQuery, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const villageId = await this.boards.villageByCodes(p.town, p.village);
    const b = await this.boards.board(villageId, p.period, this.base(req));
    await res.header('cache-control', 'no-store').code(200).type(HTML).send(renderObjectionForm(b, pathOf(req), { recordNo: q.record ?? '', reason: '', name: '', contact: '' }));
  }

  /**
   * The form's POST: the same service call, window check and rate limit (the 'objection'
   * throttler, per client address) as the JSON endpoint. A refusal the resident can fix is
   * shown next to its field with the form filled in again (422), never as an error code.
   */
  @Post(':town/:village/:period/objection')
  @HttpCode(200)
  @Public()
  @UseGuards(ThrottlerGuard)
  @SkipThrottle({ login: true })
  async submit(@PublicCtx() pub: PublicContext, @Param() p: PublicPageParams, @Body() body: ObjectionFormBody, @Req() req: FastifyRequest, @Res() res: FastifyReply): Promise<void> {
    const villageId = await this.boards.villageByCodes(p.town, p.village);
    const b = await this.boards.board(villageId, p.period, this.base(req));
    const values: ObjectionFormValues = { recordNo: body.recordNo ?? '', reason: body.reason ?? '', name: body.name ?? '', contact: body.contact ?? '' };
    res.header('cache-control', 'no-store');
    const again = (errors: FieldErrors, formError?: string) => res.code(422).type(HTML).send(renderObjectionForm(b, pathOf(req), values, errors, formError));
    const errors = checkObjectionForm(values);
    if (Object.keys(errors).length) return void again(errors);
    try {
      const filed = await this.objections.fileObjection(pub, villageId, p.period, { recordNo: values.recordNo, reason: values.reason.trim(), name: values.name.trim(), contact: values.contact.trim() });
      await res.code(201).type(HTML).send(renderObjectionFiled(b, filed, values.contact.trim() !== ''));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const message = err.message.split(' / ')[0];
      if (err.code === 'OBJECTION.RECORD_NOT_FOUND' || err.code === 'OBJECTION.ENTRY_NOT_ON_BOARD') return void again({ recordNo: message });
      if (err.code === 'OBJECTION.WINDOW_CLOSED') return void again({}, '本期异议期已结束，不能再在网上提出异议。如有问题请联系村委会。');
      throw err;
    }
  }
}

