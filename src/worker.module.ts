// First: the codes are registered before any feature file loads (src/error-codes.ts).
import './error-codes';
import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { WorkerMetricsServer } from '@app/metrics/worker-metrics-server';
import { JobWorkerService } from '@app/queue/job-worker.service';
import { CoreModule } from './core.module';
import { FEATURE_MODULES } from './features';

@Module({ imports: [CoreModule, DiscoveryModule, ...FEATURE_MODULES], providers: [JobWorkerService, WorkerMetricsServer] })
export class WorkerModule {}
