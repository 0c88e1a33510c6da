import { HealthModule } from '@app/health/health.module';
import { SystemModule } from '@app/system/system.module';

/** Feature modules, the same in the api and the worker (the worker adds JobWorkerService). */
export const FEATURE_MODULES = [HealthModule, SystemModule];
