import { Module } from '@nestjs/common';
import { MultipartModule } from '@nestjs/platform-fastify/multipart';
import { AppConfig } from '@app/config/app-config';
import { LedgerModule } from '@app/ledger/ledger.module';
import { IdHasher } from './id-hasher';
import { OrgController, ResidentController, RosterController } from './org.controller';
import { OrgRepository } from './org.repository';
import { OrgService } from './org.service';
import { ResidentService } from './resident.service';
import { RosterService } from './roster.service';

@Module({
  imports: [
    // A new grade table regrades the town's accounts through the ledger.
    LedgerModule,
    // Uploads stay in memory (no temp files to clean up); the size cap makes that safe.
    MultipartModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ limits: { fileSize: config.get('UPLOAD_MAX_BYTES'), files: 1, fields: 10 } }),
    }),
  ],
  controllers: [OrgController, ResidentController, RosterController],
  providers: [OrgService, OrgRepository, ResidentService, RosterService, IdHasher],
  exports: [OrgService, IdHasher],
})
export class OrgModule {}
