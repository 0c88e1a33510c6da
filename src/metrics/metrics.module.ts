import { Global, Module } from '@nestjs/common';
import { MetricsCollector } from './metrics-collector';
import { MetricsRepository } from './metrics.repository';

@Global()
@Module({ providers: [MetricsCollector, MetricsRepository], exports: [MetricsCollector] })
export class MetricsModule {}
