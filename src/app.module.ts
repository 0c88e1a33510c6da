import { Module } from '@nestjs/common';
import { CoreModule } from './core.module';
import { FEATURE_MODULES } from './features';

@Module({ imports: [CoreModule, ...FEATURE_MODULES] })
export class AppModule {}
