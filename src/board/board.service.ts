import { Injectable } from '@nestjs/common';
import type { RequestContext } from '@app/auth/principal';
import { AppError } from '@app/common/errors/app-error';
import { ReadReplica } from '@app/database/read-replica';
import type { Queryable } from '@app/database/sql';
import { BoardCache } from './board-cache';
import { renderBoardHtml } from './board-html';
import { renderBoardJson } from './board-json';
import { toPublicBoard, type BoardLinks, type LiveEntryState, type PublicBoard } from './board-view';
import type { BoardOverviewRowDto, BoardsOverviewDto, PublicTownDto, VillageBoardDto } from './board.dto';
import { BoardRepository, type PublishedBoardRow } from './board.repository';
import { RenderedBody, type PageBody } from './rendered-body';
import { lateFlags, periodDeadlines } from './deadlines';

/** The public 公示栏 (no login, masked names only) and the town's view of every village's board. */
@Injectable()
export class BoardService {
  /**
   * The base addresses boards were rendered for (part of the cache key: the QR codes carry it).
   * One with PUBLIC_BASE_URL set; without it one per Host a client sent, at most MAX_BASES
   * cached (a made-up Host beyond that is rendered, never cached, so it cannot crowd others out).
   */
  private readonly bases = new Set<string>();
  private static readonly MAX_BASES = 8;

  constructor(
    private readonly repo: BoardRepository,
    /** Rendered boards (JSON and HTML): up to ~1 MB each for a large village, public, read often. */
    private readonly rendered: BoardCache,
    private readonly replica: ReadReplica,
  ) {}

  /** `village` is an id or a village code (see resolveVillage); the cache is keyed by the id either way. */
  async boardJsonBody(village: string, period: string, townCode: string | undefined, base: string): Promise<PageBody> {
    const villageId = await this.resolveVillage(village, townCode, 'BOARD.NOT_FOUND');
    return this.cached('json', villageId, period, base, () => this.boardJson(villageId, period, base));
  }

  async boardHtmlBody(village: string, period: string, townCode: string | undefined, base: string): Promise<PageBody> {
    const villageId = await this.resolveVillage(village, townCode, 'BOARD.NOT_FOUND');
    return this.cached('html', villageId, period, base, async () => new RenderedBody(await this.boardHtml(villageId, period, base)));
  }

  private cached(kind: 'json' | 'html', villageId: string, period: string, base: string, load: () => Promise<PageBody>): Promise<PageBody> {
    if (!this.bases.has(base)) {
      if (this.bases.size >= BoardService.MAX_BASES) return load();
      this.bases.add(base);
    }
    return this.rendered.get(kind, villageId, period, load, base);
  }

  /**
   * Forgets the rendered board of a village-period at once: called after a write that changes
   * what it shows (an objection, an answer, finalize, a late posting), in every api process
   * (BoardCache; docs/ARCHITECTURE.md, "Scaling out").
   */
  invalidate(villageId: string, period: string): Promise<void> {
    return this.rendered.invalidate(villageId, period);
  }

  /** The village of a public page address (/board/<town code>/<village code>/…), or 404. */
  async villageByCodes(townCode: string, villageCode: string): Promise<string> {
    const found = await this.repo.findVillageByCodes(townCode, villageCode);
    if (!found) throw new AppError('BOARD.NOT_FOUND');
    return found.id;
  }

  /** A UUID as it is; a village code (unique within its town) to the village's id. */
  async resolveVillage(ref: string, townCode: string | undefined, notFound: 'BOARD.NOT_FOUND' | 'ORG.VILLAGE_NOT_FOUND'): Promise<string> {
    if (ref.length > 8) return ref;
    const found = await this.repo.findVillagesByCode(ref, townCode);
    if (found.length === 0) throw new AppError(notFound);
    if (found.length > 1) throw new AppError('BOARD.VILLAGE_CODE_AMBIGUOUS', undefined, { towns: found.map((v) => v.townCode) });
    return found[0].id;
  }

  /** Every town's villages with their published boards, addressed by codes: no one needs a UUID. */
  async publicVillages(townCode?: string): Promise<PublicTownDto[]> {
    const rows = await this.repo.listPublicVillages(townCode);
    const boards = await this.repo.listPublishedBoardsOf(rows.map((r) => r.villageId));
    const byVillage = new Map<string, typeof boards>();
    for (const b of boards) byVillage.set(b.villageId, [...(byVillage.get(b.villageId) ?? []), b]);
    const towns = new Map<string, PublicTownDto>();
    for (const r of rows) {
      const town = towns.get(r.townCode) ?? { code: r.townCode, name: r.townName, villages: [] };
      towns.set(r.townCode, town);
      const path = `/api/v1/public/boards/${encodeURIComponent(r.villageCode)}`;
      const query = `?town=${encodeURIComponent(r.townCode)}`;
      town.villages.push({
        id: r.villageId,
        code: r.villageCode,
        name: r.villageName,
        boards: (byVillage.get(r.villageId) ?? []).map((b) => ({
          period: b.period,
          state: b.state,
          publishedAt: b.publishedAt,
          windowEndsAt: b.windowEndsAt,
          finalized: b.state === 'finalized',
          url: `${path}/${b.period}${query}`,
          htmlUrl: `${path}/${b.period}.html${query}`,
        })),
      });
    }
    return [...towns.values()];
  }

  /** Unknown village, no board for the period or not yet publicized: one answer, 404 BOARD.NOT_FOUND. */
  async board(villageId: string, period: string, base: string, now = new Date()): Promise<PublicBoard> {
    // The read replica when there is one and it has this board's last change (ReadReplica).
    return this.replica.read({ board: { villageId, period } }, async (db) => {
      const row = await this.repo.findPublishedBoard(villageId, period, db);
      if (!row) throw new AppError('BOARD.NOT_FOUND');
      return this.fromContent(villageId, period, row, await this.repo.exceptionalEntryStates(villageId, period, db), now, base, db);
    });
  }

  /**
   * The JSON board, whose plain form is the bytes of JSON.stringify(board(…)): from the pieces
   * stored at publish (board-json.ts), without parsing the content or compressing its lines;
   * boards published before those parts existed (or in another format) are built from the content.
   */
  async boardJson(villageId: string, period: string, base: string, now = new Date()): Promise<PageBody> {
    return this.replica.read({ board: { villageId, period } }, async (db) => {
      const row = await this.repo.findPublishedBoard(villageId, period, db, true);
      if (!row) throw new AppError('BOARD.NOT_FOUND');
      const live = await this.repo.exceptionalEntryStates(villageId, period, db);
      if (row.publicParts) return renderBoardJson(row.publicParts, row, live, now, { issuer: row, links: publicPageLinks(base, row.townCode, row.villageCode, period) });
      return new RenderedBody(JSON.stringify(await this.fromContent(villageId, period, row, live, now, base, db)));
    });
  }

  private async fromContent(villageId: string, period: string, row: PublishedBoardRow, live: LiveEntryState[], now: Date, base: string, db: Queryable): Promise<PublicBoard> {
    const { content } = row;
    // Boards published before lines carried their record number: the entries have it.
    const older = content.residents.some((r) => r.lines.some((l) => !l.recordNo));
    const recordNos = older ? await this.repo.recordNumbers(villageId, period, db) : undefined;
    return toPublicBoard(content, row, live, now, { issuer: row, links: publicPageLinks(base, row.townCode, row.villageCode, period), recordNos });
  }

  async boardHtml(villageId: string, period: string, base: string): Promise<string> {
    return renderBoardHtml(await this.board(villageId, period, base));
  }

  async villageBoards(village: string, townCode?: string): Promise<VillageBoardDto[]> {
    const villageId = await this.resolveVillage(village, townCode, 'ORG.VILLAGE_NOT_FOUND');
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

/** Where residents open a board and its objection page: short, readable, no API prefix. */
export function publicPageLinks(base: string, townCode: string, villageCode: string, period: string): BoardLinks {
  const boardUrl = `${base}/board/${encodeURIComponent(townCode)}/${encodeURIComponent(villageCode)}/${period}`;
  return { boardUrl, objectionPageUrl: `${boardUrl}/objection` };
}
