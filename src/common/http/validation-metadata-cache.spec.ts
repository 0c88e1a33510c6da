import { getMetadataStorage, IsInt, IsOptional, IsString, validate } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { cacheValidationMetadata } from './validation-metadata-cache';

class Base {
  @IsString()
  name!: string;
}
class Child extends Base {
  @IsInt()
  n!: number;
}

const props = (ms: { propertyName: string }[]) => ms.map((m) => m.propertyName).sort();

describe('cached class-validator metadata lookup', () => {
  const storage = cacheValidationMetadata(getMetadataStorage());

  it('answers as the uncached lookup did, inherited rules included, and the same array each time', () => {
    const first = storage.getTargetValidationMetadatas(Child, '', false, false);
    expect(props(first)).toEqual(['n', 'name']);
    expect(storage.getTargetValidationMetadatas(Child, '', false, false)).toBe(first);
    expect(storage.groupByPropertyName(first)).toBe(storage.groupByPropertyName(first));
    expect(Object.keys(storage.groupByPropertyName(first)).sort()).toEqual(['n', 'name']);
    // Other options are other entries.
    expect(storage.getTargetValidationMetadatas(Child, '', true, false)).not.toBe(first);
  });

  it('is dropped when metadata is added after the first lookup (a decorator that runs later)', async () => {
    expect(props(storage.getTargetValidationMetadatas(Base, '', false, false))).toEqual(['name']);
    IsOptional()(Base.prototype, 'extra');
    IsString()(Base.prototype, 'extra');
    expect(props(storage.getTargetValidationMetadatas(Base, '', false, false))).toEqual(['extra', 'extra', 'name']);
    expect(props(storage.getTargetValidationMetadatas(Child, '', false, false))).toEqual(['extra', 'extra', 'n', 'name']);
    const bad = Object.assign(new Child(), { name: 'a', n: 1, extra: 5 });
    expect((await validate(bad)).map((e) => e.property)).toEqual(['extra']);
  });

  it('installs once', () => {
    const lookup = storage.getTargetValidationMetadatas;
    expect(cacheValidationMetadata(storage).getTargetValidationMetadatas).toBe(lookup);
  });
});
