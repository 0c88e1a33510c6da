import { Global, Module } from '@nestjs/common';
import { MetricsCollector } from './metrics-collector';

@Global()
@Module({ providers: [MetricsCollector], exports: [MetricsCollector] })
export class MetricsModule {}
