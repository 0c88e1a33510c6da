import { Module } from '@nestjs/common';
import { CreditExportController } from './credit-export.controller';
import { CreditExportRepository } from './credit-export.repository';
import { CreditExportService } from './credit-export.service';

@Module({ controllers: [CreditExportController], providers: [CreditExportService, CreditExportRepository], exports: [CreditExportService] })
export class CreditExportModule {}
