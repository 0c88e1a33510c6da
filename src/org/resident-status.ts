import type { ResidentStatus } from './org.entities';

/**
 * Who may become what. Deceased is final; moved and excluded residents can come back (moved back
 * in, exclusion lifted), always through `active`, so every return is a recorded decision.
 */
const ALLOWED: Readonly<Record<ResidentStatus, readonly ResidentStatus[]>> = {
  active: ['moved', 'deceased', 'excluded'],
  moved: ['active'],
  excluded: ['active'],
  deceased: [],
};

export function canChangeStatus(from: ResidentStatus, to: ResidentStatus): boolean {
  return ALLOWED[from].includes(to);
}

export function allowedNextStatuses(from: ResidentStatus): readonly ResidentStatus[] {
  return ALLOWED[from];
}
