import { Module } from '@nestjs/common';
import { CheckpointProofService } from './checkpoint-proof.service';
import { CorrectionsRepository } from './corrections.repository';
import { CorrectionsService } from './corrections.service';
import { LedgerController, StatementController } from './ledger.controller';
import { LedgerRepository } from './ledger.repository';
import { LedgerService } from './ledger.service';
import { LedgerVerifier } from './ledger-verifier';
import { StatementRepository } from './statement.repository';
import { StatementService } from './statement.service';
import { VerificationRepository } from './verification.repository';
import { YearEndRepository } from './year-end.repository';
import { YearEndService } from './year-end.service';

/** The append-only ledger: LedgerService is the only writer of postings. */
@Module({
  controllers: [LedgerController, StatementController],
  providers: [
    LedgerService,
    LedgerRepository,
    CorrectionsService,
    CorrectionsRepository,
    YearEndService,
    YearEndRepository,
    StatementService,
    StatementRepository,
    LedgerVerifier,
    VerificationRepository,
    CheckpointProofService,
  ],
  exports: [LedgerService, LedgerVerifier, StatementService, CheckpointProofService],
})
export class LedgerModule {}
