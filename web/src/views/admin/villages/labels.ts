import type { Schemas } from '@/api/client';

export const STATUS_NAMES: Record<Schemas['ResidentDto']['status'], string> = {
  active: '在册',
  moved: '迁出',
  deceased: '死亡',
  excluded: '除名',
};

/** Today in Asia/Shanghai, as the api counts days. */
export function shanghaiToday(): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
}
