import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common/errors/app-error';
import { AppConfig } from '@app/config/app-config';
import { checkNationalId, hashNationalId, type NationalIdProblem } from './national-id';

export interface DigestedId {
  idHash: string;
  idLast4: string;
  birthYear: number;
  gender: 'M' | 'F';
}

export type IdDigestResult = ({ ok: true } & DigestedId) | { ok: false; code: NationalIdProblem; message: string };

/**
 * The only way a national ID number enters the database: checked, then reduced to a keyed hash
 * (ID_HASH_SECRET, so the 10^n possible numbers cannot be hashed offline) and the last four.
 * The number itself is never logged, stored or echoed back.
 */
@Injectable()
export class IdHasher {
  private readonly secret: string;

  constructor(config: AppConfig) {
    this.secret = config.get('ID_HASH_SECRET');
  }

  /** For row-by-row reports: never throws. */
  check(raw: string): IdDigestResult {
    const c = checkNationalId(raw);
    if (!c.ok) return c;
    return { ok: true, idHash: hashNationalId(this.secret, c.id), idLast4: c.last4, birthYear: c.birthYear, gender: c.gender };
  }

  /** For single requests: RESIDENT.LEGACY_ID / RESIDENT.INVALID_ID (details name the reason only). */
  digest(raw: string): DigestedId {
    const r = this.check(raw);
    if (!r.ok) {
      if (r.code === 'ID.LEGACY_15_DIGIT') throw new AppError('RESIDENT.LEGACY_ID');
      throw new AppError('RESIDENT.INVALID_ID', undefined, { field: 'nationalId', reason: r.code, message: `身份证号${r.message}` });
    }
    return { idHash: r.idHash, idLast4: r.idLast4, birthYear: r.birthYear, gender: r.gender };
  }
}
