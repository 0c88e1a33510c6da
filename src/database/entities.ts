import { SystemHeartbeat } from '@app/system/system-heartbeat.entity';

/** Every TypeORM entity, listed explicitly (a dist glob would also match .d.ts files). */
export const ENTITIES = [SystemHeartbeat];
