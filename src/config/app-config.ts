import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EnvVars } from './env.schema';

/** Typed read access to the validated environment; inject this, not ConfigService. */
@Injectable()
export class AppConfig {
  constructor(private readonly config: ConfigService<EnvVars, true>) {}

  get<K extends keyof EnvVars>(key: K): EnvVars[K] {
    return this.config.get(key, { infer: true });
  }
}
