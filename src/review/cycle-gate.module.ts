import { Module } from '@nestjs/common';
import { CycleGateRepository } from './cycle-gate.repository';
import { CycleGateService } from './cycle-gate.service';

/**
 * The review cycle's gate for deed entries (CycleGateService), apart from ReviewModule: that one
 * imports EntriesModule (for EntryStatesService), and EntriesModule imports this one, so there is
 * no module cycle.
 */
@Module({
  providers: [CycleGateService, CycleGateRepository],
  exports: [CycleGateService],
})
export class CycleGateModule {}
