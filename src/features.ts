import { AuditModule } from '@app/audit/audit.module';
import { AuthModule } from '@app/auth/auth.module';
import { HealthModule } from '@app/health/health.module';
import { ShopModule } from '@app/shop/shop.module';
import { SystemModule } from '@app/system/system.module';

/** Feature modules, the same in the api and the worker (the worker adds JobWorkerService). */
export const FEATURE_MODULES = [HealthModule, AuditModule, AuthModule, SystemModule, ShopModule];
