import { Module } from '@nestjs/common';
import { CheckpointProofService } from './checkpoint-proof.service';
import { LedgerController, StatementController } from './ledger.controller';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';
import { LedgerVerifier } from './ledger-verifier';
import { StatementService } from './statement.service';

/** The append-only ledger: LedgerService is the only writer of postings. */
@Module({
  controllers: [LedgerController, StatementController],
  providers: [LedgerService, LedgerRepository, LedgerVerifier, StatementService, CheckpointProofService],
  exports: [LedgerService, LedgerVerifier, StatementService, CheckpointProofService],
})
export class LedgerModule {}
