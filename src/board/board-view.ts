import { shortRoot } from '@app/ledger/merkle';
import type { BoardContent, BoardLine, BoardResident } from './board-content';
import type { CycleState } from '@app/review/review.entities';
import { competitionRanks } from './ranking';

/** What a line on the board is now: fixed at publish, its standing follows the objections. */
export type LineStatus = 'approved' | 'disputed' | 'revoked' | 'posted';

export const LINE_STATUS_LABELS: Record<LineStatus, string> = {
  approved: '已通过',
  disputed: '异议处理中',
  revoked: '撤销',
  posted: '已入账',
};

export interface LiveEntryState {
  entryId: string;
  status: string;
  disputed: boolean;
}

export interface BoardCycle {
  state: CycleState;
  publishedAt: Date;
  windowEndsAt: Date | null;
  finalizedAt: Date | null;
  checkpointHash: string | null;
  /** The checkpoint's format (cycle_checkpoints.version); absent or null reads as 1. */
  checkpointVersion?: number | null;
}

/** The finalize checkpoint as printed: version 2 is a Merkle root a resident can check an account against. */
export interface BoardCheckpoint {
  version: number;
  /** Full 64 hex digits. */
  root: string;
  /** The first 16 digits in groups of four, printed large. */
  rootShort: string;
}

export interface PublicBoardLine {
  entryId: string;
  /** 记录编号 (DC-2611-0042): what a resident quotes in an objection. */
  recordNo: string;
  itemCode: string;
  itemName: string;
  category: string;
  occurredOn: string;
  /** 补录: a deed of an already closed month, published in this period. */
  late: boolean;
  points: number;
  explanation: string;
  status: LineStatus;
  statusLabel: string;
  /** The points as printed: '+5', '-10', or '警告' for a breach recorded at 0 points. */
  pointsLabel: string;
}

/**
 * A breach recorded at 0 points (a threshold's early occurrence, or past a cap) is a warning. The
 * board keeps only the explanation text, and the rule engine writes 扣 or − into every breach
 * verdict and neither into a trust item's, so the text tells.
 */
export function isWarningLine(points: number, explanation: string): boolean {
  return points === 0 && /扣|\u2212/u.test(explanation);
}

export function boardPointsLabel(points: number, explanation: string): string {
  if (isWarningLine(points, explanation)) return '警告';
  return points > 0 ? `+${points}` : String(points);
}

export interface PublicBoardResident {
  name: string;
  total: number;
  lines: PublicBoardLine[];
}

/** Who issues the board and whom to call: village and town settings, read when the board is shown. */
export interface BoardIssuer {
  townCode: string;
  townName: string;
  villageCode: string;
  /** The village's committee setting, or null (then "<village name>村民委员会"). */
  committee: string | null;
  villagePhone: string | null;
  townPhone: string | null;
}

/** The public pages' absolute addresses (PUBLIC_BASE_URL, else the request's host): printed as QR codes. */
export interface BoardLinks {
  boardUrl: string;
  objectionPageUrl: string;
}

export interface RankedName {
  rank: number;
  name: string;
  total: number;
}

export interface PublicBoard {
  villageId: string;
  villageCode: string;
  villageName: string;
  townName: string;
  /** 发布单位. */
  committee: string;
  /** The village committee's phone (村联系电话), if set. */
  contactPhone: string | null;
  /** The town's supervision phone (监督电话), if set. */
  supervisionPhone: string | null;
  /** The online board (HTML) and its objection page: what the printed QR codes open. */
  boardUrl: string;
  objectionPageUrl: string;
  /** Last moment an objection is accepted (the end of the publicity window). */
  objectionDeadline: string;
  period: string;
  state: CycleState;
  publishedAt: string;
  windowStartsAt: string;
  windowEndsAt: string;
  objectionOpen: boolean;
  howToObject: string;
  objectionEndpoint: string;
  residents: PublicBoardResident[];
  totals: BoardContent['totals'];
  /** Ranked by standard competition ranking: equal totals share a place (1, 2, 2, 4). */
  redList: RankedName[];
  blackList: RankedName[];
  finalized: boolean;
  finalizedAt: string | null;
  checkpointHash: string | null;
  checkpoint: BoardCheckpoint | null;
}

/**
 * A line's standing from its live state. `live` holds only the exceptions (revoked or disputed);
 * a line without one is approved, or posted once the cycle is finalized.
 */
export function lineStatus(s: LiveEntryState | undefined, finalized: boolean): LineStatus {
  if (s && (s.status === 'rejected' || s.status === 'withdrawn')) return 'revoked';
  if (s?.disputed) return 'disputed';
  return finalized ? 'posted' : 'approved';
}

/**
 * The public board: everything printed comes from the content fixed at publish (names are
 * already masked there, totals are as published); only each line's standing (disputed / 撤销 /
 * 已入账) and the finalize checkpoint are live. Built field by field, so nothing that might be
 * added to the stored content later leaks out unreviewed.
 */
export interface BoardContext {
  issuer: BoardIssuer;
  links: BoardLinks;
  /** Record numbers by entry id, for boards published before lines carried them. */
  recordNos?: Map<string, string>;
}

const NO_CONTEXT: BoardContext = {
  issuer: { townCode: '', townName: '', villageCode: '', committee: null, villagePhone: null, townPhone: null },
  links: { boardUrl: '', objectionPageUrl: '' },
};

export function defaultCommittee(villageName: string): string {
  return `${villageName}村民委员会`;
}

/**
 * One resident of the public board, field by field in the order the JSON board sends them; what
 * a line gets from outside its stored content (its record number, its standing now) from `line`.
 * Also how the stored public parts are written (board-json.ts), so both give the same bytes.
 */
export function toPublicResident(r: BoardResident, line: (l: BoardLine) => { recordNo: string; status: LineStatus }): PublicBoardResident {
  return {
    name: r.name,
    total: r.total,
    lines: r.lines.map((l) => {
      const { recordNo, status } = line(l);
      return {
        entryId: l.entryId,
        recordNo,
        itemCode: l.itemCode,
        itemName: l.itemName,
        category: l.category,
        occurredOn: l.occurredOn,
        late: l.late === true,
        points: l.points,
        explanation: l.explanation,
        status,
        statusLabel: LINE_STATUS_LABELS[status],
        pointsLabel: boardPointsLabel(l.points, l.explanation),
      };
    }),
  };
}

export function toPublicBoard(content: BoardContent, cycle: BoardCycle, live: LiveEntryState[], now: Date, context: BoardContext = NO_CONTEXT): PublicBoard {
  const byEntry = new Map(live.map((s) => [s.entryId, s]));
  const windowEndsAt = cycle.windowEndsAt ? cycle.windowEndsAt.toISOString() : content.windowEndsAt;
  const finalized = cycle.state === 'finalized';
  const { issuer, links } = context;
  return {
    villageId: content.village.id,
    villageCode: issuer.villageCode,
    villageName: content.village.name,
    townName: issuer.townName,
    committee: issuer.committee ?? defaultCommittee(content.village.name),
    contactPhone: issuer.villagePhone,
    supervisionPhone: issuer.townPhone,
    boardUrl: links.boardUrl,
    objectionPageUrl: links.objectionPageUrl,
    objectionDeadline: windowEndsAt,
    period: content.period,
    state: cycle.state,
    publishedAt: content.publishedAt,
    windowStartsAt: content.publishedAt,
    windowEndsAt,
    objectionOpen: cycle.state === 'publicized' && new Date(windowEndsAt).getTime() > now.getTime(),
    howToObject: content.howToObject,
    objectionEndpoint: `/api/v1/public/boards/${content.village.id}/${content.period}/objections`,
    residents: content.residents.map((r) =>
      toPublicResident(r, (l) => ({ recordNo: l.recordNo ?? context.recordNos?.get(l.entryId) ?? '', status: lineStatus(byEntry.get(l.entryId), finalized) })),
    ),
    totals: { residents: content.totals.residents, entries: content.totals.entries, awarded: content.totals.awarded, deducted: content.totals.deducted },
    redList: competitionRanks(content.redList).map((x) => ({ rank: x.rank, name: x.name, total: x.total })),
    blackList: competitionRanks(content.blackList).map((x) => ({ rank: x.rank, name: x.name, total: x.total })),
    finalized,
    finalizedAt: cycle.finalizedAt ? cycle.finalizedAt.toISOString() : null,
    checkpointHash: finalized ? cycle.checkpointHash : null,
    checkpoint: finalized && cycle.checkpointHash ? { version: cycle.checkpointVersion ?? 1, root: cycle.checkpointHash, rootShort: shortRoot(cycle.checkpointHash) } : null,
  };
}
