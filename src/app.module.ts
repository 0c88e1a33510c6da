// First: controllers apply @ApiErrors at import, which needs the codes registered.
import './error-codes';
import { Module } from '@nestjs/common';
import { CoreModule } from './core.module';
import { FEATURE_MODULES } from './features';

@Module({ imports: [CoreModule, ...FEATURE_MODULES] })
export class AppModule {}
