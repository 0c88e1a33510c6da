import { AuditLogEntry } from '@app/audit/audit-log.entity';
import { DashboardEntryTotal, DashboardPostingTotal } from '@app/auditor/dashboard.entities';
import { LoginFailure, RefreshToken, StaffSession, StaffUser, Terminal, TerminalPairing } from '@app/auth/auth.entities';
import { CatalogAdoption, CatalogItem, CatalogItemRetirement, CatalogVersion } from '@app/catalog/catalog.entities';
import { Account, LedgerCorrection, Posting, YearlyRating } from '@app/ledger/ledger.entities';
import { CreditOutboxRow } from '@app/credit-export/credit-outbox.entity';
import { Notice } from '@app/notices/notice.entity';
import { Board, CycleCheckpoint, CycleEvent, Objection, ReviewCycle, ReviewMeeting } from '@app/review/review.entities';
import { Household, Resident, ResidentStatusEvent, Town, Village } from '@app/org/org.entities';
import { DeedEntry, EntryBatch, EntryEvent, EntryState, RecordCounter } from '@app/entries/entry.entities';
import { Goods, Redemption, RedemptionVoid, Shop, ShopVillage, StockMovement } from '@app/shop/shop.entities';
import { SystemHeartbeat } from '@app/system/system-heartbeat.entity';
import { ResidentAccessToken } from '@app/resident/resident.entities';

/** Every TypeORM entity, listed explicitly (a dist glob would also match .d.ts files). */
export const ENTITIES = [
  SystemHeartbeat,
  Town,
  Village,
  Household,
  Resident,
  ResidentStatusEvent,
  StaffUser,
  RefreshToken,
  StaffSession,
  LoginFailure,
  Terminal,
  TerminalPairing,
  Shop,
  ShopVillage,
  AuditLogEntry,
  CatalogVersion,
  CatalogItem,
  CatalogAdoption,
  CatalogItemRetirement,
  DeedEntry,
  EntryEvent,
  EntryState,
  EntryBatch,
  RecordCounter,
  Posting,
  Account,
  LedgerCorrection,
  YearlyRating,
  ReviewCycle,
  CycleEvent,
  ReviewMeeting,
  Board,
  Objection,
  CreditOutboxRow,
  CycleCheckpoint,
  Goods,
  StockMovement,
  Redemption,
  RedemptionVoid,
  Notice,
  ResidentAccessToken,
  DashboardPostingTotal,
  DashboardEntryTotal,
];
