import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@app/config/app-config';
import { dataSourceOptions } from './data-source-options';
import { ReadReplica } from './read-replica';
import { ReadYourWritesInterceptor } from './read-your-writes.interceptor';

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config.get('DATABASE_URL'), config.get('DATABASE_POOL_SIZE')),
        // Wait for PostgreSQL at boot (compose starts it alongside) instead of crashing.
        retryAttempts: 30,
        retryDelay: 2000,
      }),
    }),
  ],
  providers: [ReadReplica, { provide: APP_INTERCEPTOR, useClass: ReadYourWritesInterceptor }],
  exports: [ReadReplica],
})
export class DatabaseModule {}
