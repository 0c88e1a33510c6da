import { Module } from '@nestjs/common';
import { MultipartModule } from '@nestjs/platform-fastify/multipart';
import { AppConfig } from '@app/config/app-config';
import { CycleGateModule } from '@app/review/cycle-gate.module';
import { EntriesUploadService } from './entries-upload.service';
import { EntriesController } from './entries.controller';
import { EntriesRepository } from './entries.repository';
import { EntriesService } from './entries.service';
import { EntryPreparationService } from './entry-preparation.service';
import { EntryStatesRepository } from './entry-states.repository';
import { EntryStatesService } from './entry-states.service';

@Module({
  imports: [
    // The review cycle's gate: entries make and share-lock their month's cycle through it (review owns review_cycles).
    CycleGateModule,
    // In memory: uploads are bounded by UPLOAD_MAX_BYTES (413 beyond) and parsed whole anyway.
    MultipartModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({ limits: { fileSize: config.get('UPLOAD_MAX_BYTES'), files: 1, fields: 10 } }),
    }),
  ],
  controllers: [EntriesController],
  providers: [EntriesService, EntryPreparationService, EntriesUploadService, EntriesRepository, EntryStatesService, EntryStatesRepository],
  // The review cycle writes entry states and events through EntryStatesService, never the repositories.
  exports: [EntriesService, EntryStatesService],
})
export class EntriesModule {}
