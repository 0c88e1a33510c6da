import { Global, Module } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { ThrottlerModule } from '@nestjs/throttler';
import { RedisThrottlerStorage } from '@app/shared-state/redis-throttler-storage';
import { AppConfig } from '@app/config/app-config';
import { AuthController, StaffController, TerminalPairingController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthRepository } from './auth.repository';
import { AuthService } from './auth.service';
import { PairingService } from './pairing.service';
import { ScopeService } from './scope.service';
import { StaffService } from './staff.service';

@Global()
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [AppConfig],
      // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a PEM
      // public key on every verify (crypto.createPublicKey, ~0.6 ms of CPU per staff request).
      useFactory: (config: AppConfig) => ({ secret: createSecretKey(Buffer.from(config.get('JWT_SECRET'), 'utf8')), signOptions: { algorithm: 'HS256' } }),
    }),
    // Counters in Redis, shared by every api process (in-process while Redis is unreachable).
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, RedisThrottlerStorage],
      useFactory: (config: AppConfig, storage: RedisThrottlerStorage) => ({
        storage,
        throttlers: [
          { name: 'login', ttl: 60_000, limit: config.get('LOGIN_RATE_LIMIT_PER_MINUTE') },
          { name: 'objection', ttl: 60_000, limit: config.get('OBJECTION_RATE_LIMIT_PER_MINUTE') },
        ],
      }),
    }),
  ],
  controllers: [AuthController, StaffController, TerminalPairingController],
  providers: [AuthService, AuthRepository, StaffService, PairingService, ScopeService, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [AuthService, ScopeService],
})
export class AuthModule {}
