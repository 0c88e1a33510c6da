import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@app/auth/principal';
import { AppError } from '@app/common/errors/app-error';
import { TtlCache } from '@app/common/ttl-cache';
import { AppConfig } from '@app/config/app-config';
import type { BoardContent } from '@app/review/board';
import { renderBoardHtml } from './board-html';
import { toPublicBoard, type PublicBoard } from './board-view';
import type { BoardOverviewRowDto, BoardsOverviewDto, VillageBoardDto } from './board.dto';
import { BoardRepository } from './board.repository';
import { RenderedBody } from './rendered-body';
import { lateFlags, periodDeadlines } from './deadlines';

/** The public 公示栏 (no login, masked names only) and the town's view of every village's board. */
@Injectable()
export class BoardService {
  /** Rendered boards (JSON and HTML): up to ~1 MB each for a large village, public, read often. */
  private readonly rendered: TtlCache<RenderedBody>;

  constructor(
    private readonly repo: BoardRepository,
    config: AppConfig,
  ) {
    // A bound in boards, not bytes: 64 large boards are ~64 MB (+ their gzip, ~10 % of that).
    this.rendered = new TtlCache<RenderedBody>(config.get('BOARD_CACHE_MS'), 64);
  }

  boardJsonBody(villageId: string, period: string): Promise<RenderedBody> {
    return this.rendered.get(`json:${villageId}:${period}`, async () => new RenderedBody(JSON.stringify(await this.board(villageId, period))));
  }

  boardHtmlBody(villageId: string, period: string): Promise<RenderedBody> {
    return this.rendered.get(`html:${villageId}:${period}`, async () => new RenderedBody(await this.boardHtml(villageId, period)));
  }

  /** Unknown village, no board for the period or not yet publicized: one answer, 404 BOARD.NOT_FOUND. */
  async board(villageId: string, period: string, now = new Date()): Promise<PublicBoard> {
    const row = await this.repo.findPublishedBoard(villageId, period);
    if (!row) throw new AppError('BOARD.NOT_FOUND');
    const content = row.content as BoardContent;
    const live = await this.repo.exceptionalEntryStates(villageId, period);
    return toPublicBoard(content, row, live, now);
  }

  async boardHtml(villageId: string, period: string): Promise<string> {
    return renderBoardHtml(await this.board(villageId, period));
  }

  async villageBoards(villageId: string): Promise<VillageBoardDto[]> {
    if (!(await this.repo.villageExists(villageId))) throw new AppError('ORG.VILLAGE_NOT_FOUND');
    const rows = await this.repo.listVillageBoards(villageId);
    return rows.map((r) => ({
      period: r.period,
      state: r.state,
      publishedAt: r.publishedAt,
      windowEndsAt: r.windowEndsAt,
      finalized: r.state === 'finalized',
      checkpointHash: r.state === 'finalized' ? r.checkpointHash : null,
    }));
  }

  /** Town admins and auditors: every village of their own town (the town comes from the login). */
  async townOverview(ctx: RequestContext, period: string, now = new Date()): Promise<BoardsOverviewDto> {
    const [rows, closeDay] = await Promise.all([this.repo.townOverview(ctx.principal.townId, period), this.repo.townCloseDay(ctx.principal.townId)]);
    const villages: BoardOverviewRowDto[] = rows.map((r) => ({
      villageId: r.villageId,
      villageCode: r.villageCode,
      villageName: r.villageName,
      state: r.state,
      publicized: r.publishedAt !== null,
      finalized: r.state === 'finalized',
      closedAt: r.closedAt,
      publishedAt: r.publishedAt,
      windowEndsAt: r.windowEndsAt,
      finalizedAt: r.finalizedAt,
      ...lateFlags(period, r.cycleId ? r : null, now, closeDay),
      openObjections: r.openObjections,
      overdueObjections: r.overdueObjections,
    }));
    return { period, ...periodDeadlines(period, closeDay), villages };
  }
}
