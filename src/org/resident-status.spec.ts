import { describe, expect, it } from 'vitest';
import { RESIDENT_STATUSES } from './org.entities';
import { canChangeStatus } from './resident-status';

describe('resident status transitions', () => {
  const allowed = new Set(['active>moved', 'active>deceased', 'active>excluded', 'moved>active', 'excluded>active']);
  for (const from of RESIDENT_STATUSES) {
    for (const to of RESIDENT_STATUSES) {
      it(`${from} → ${to} is ${allowed.has(`${from}>${to}`) ? 'allowed' : 'refused'}`, () => {
        expect(canChangeStatus(from, to)).toBe(allowed.has(`${from}>${to}`));
      });
    }
  }
});
