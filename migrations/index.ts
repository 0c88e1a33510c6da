import { Foundation1795438628449 } from './1795438628449-Foundation';
import { Schema1795439245805 } from './1795439245805-Schema';
import { AppendOnlyTriggers1795439300000 } from './1795439300000-AppendOnlyTriggers';
import { SeedDefaultCatalog1795439400000 } from './1795439400000-SeedDefaultCatalog';
import { ReviewCycles1795439563652 } from './1795439563652-ReviewCycles';
import { ReviewPublicity1795440042277 } from './1795440042277-ReviewPublicity';
import { Checkpoints1795440151298 } from './1795440151298-Checkpoints';
import { Shop1795440751801 } from './1795440751801-Shop';
import { AuditorIndexes1795441022974 } from './1795441022974-AuditorIndexes';
import { LedgerIndexTidy1795450000000 } from './1795450000000-LedgerIndexTidy';
import { CheckpointsNoTruncate1795460000000 } from './1795460000000-CheckpointsNoTruncate';
import { TownCloseDay1795470000000 } from './1795470000000-TownCloseDay';
import { StaffSessions1795474000000 } from './1795474000000-StaffSessions';
import { LoginThrottle1795474000001 } from './1795474000001-LoginThrottle';
import { Till1795476000000 } from './1795476000000-Till';
import { DashboardIndexes1795480000000 } from './1795480000000-DashboardIndexes';
import { VillageItemRetirements1795481000000 } from './1795481000000-VillageItemRetirements';
import { BoardRecordNumbers1795483000000 } from './1795483000000-BoardRecordNumbers';
import { ResidentAccessTokens1795484000000 } from './1795484000000-ResidentAccessTokens';
import { Notices1795485000000 } from './1795485000000-Notices';
import { CheckpointVersion1795486000000 } from './1795486000000-CheckpointVersion';
import { DashboardTotals1795490000000 } from './1795490000000-DashboardTotals';
import { ShardReady1795499000000 } from './1795499000000-ShardReady';
import { BoardContentJson1795900000000 } from './1795900000000-BoardContentJson';
import { EntryStatesHot1795600000000 } from './1795600000000-EntryStatesHot';
import { BoardPublicParts1796200000000 } from './1796200000000-BoardPublicParts';

/** Migrations in the order they apply; a new migration is added at the end. */
export const MIGRATIONS: Function[] = [Foundation1795438628449, Schema1795439245805, AppendOnlyTriggers1795439300000, SeedDefaultCatalog1795439400000, ReviewCycles1795439563652, ReviewPublicity1795440042277, Checkpoints1795440151298, Shop1795440751801, AuditorIndexes1795441022974, LedgerIndexTidy1795450000000, CheckpointsNoTruncate1795460000000, TownCloseDay1795470000000, StaffSessions1795474000000, LoginThrottle1795474000001, Till1795476000000, DashboardIndexes1795480000000, VillageItemRetirements1795481000000, BoardRecordNumbers1795483000000, ResidentAccessTokens1795484000000, Notices1795485000000, CheckpointVersion1795486000000, DashboardTotals1795490000000, ShardReady1795499000000, BoardContentJson1795900000000, EntryStatesHot1795600000000, BoardPublicParts1796200000000];
