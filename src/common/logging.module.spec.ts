import { describe, expect, it } from 'vitest';
import { requestLineLevel } from './logging.module';

describe('request line level', () => {
  it('is info wherever info lines are written, silent (not built) where they would be dropped', () => {
    expect(['trace', 'debug', 'info'].map(requestLineLevel)).toEqual(['info', 'info', 'info']);
    expect(['warn', 'error', 'fatal', 'silent'].map(requestLineLevel)).toEqual(['silent', 'silent', 'silent', 'silent']);
  });
});
