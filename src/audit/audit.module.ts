import { Global, Module } from '@nestjs/common';
import { AuditLogService } from './audit-log.service';
import { AuditLogController } from './audit.controller';
import { AuditLogRepository } from './audit.repository';
import { AuditService } from './audit.service';

/** The append-only audit log: every feature writes through AuditService; auditors search it at GET /audit. */
@Global()
@Module({
  controllers: [AuditLogController],
  providers: [AuditService, AuditLogRepository, AuditLogService],
  exports: [AuditService, AuditLogRepository],
})
export class AuditModule {}
