import { Module } from '@nestjs/common';
import { CreditExportController } from './credit-export.controller';
import { CreditExportService } from './credit-export.service';

@Module({ controllers: [CreditExportController], providers: [CreditExportService], exports: [CreditExportService] })
export class CreditExportModule {}
