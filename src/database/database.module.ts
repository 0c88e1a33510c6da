import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '@app/config/app-config';
import { dataSourceOptions } from './data-source-options';

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
})
export class DatabaseModule {}
