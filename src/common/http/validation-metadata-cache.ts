import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

type Storage = ReturnType<typeof getMetadataStorage>;
type Lookup = Storage['getTargetValidationMetadatas'];
type Group = Storage['groupByPropertyName'];

const CACHED = Symbol('xinyi.validationMetadataCache');

/**
 * class-validator looks up a class's validation metadata on every validate() of every object,
 * nested ones included, and the lookup walks every decorated class of the app (an `instanceof`
 * per class, for inherited rules), then groups the result by property: in a profile of the
 * redemption benchmark that was the largest single cost of validation. The metadata only changes
 * while decorators run (module load), so both answers are kept per (class, options) and dropped
 * whenever metadata is added. Same rules, same answers: only the lookup is cached.
 */
export function cacheValidationMetadata(storage: Storage = getMetadataStorage()): Storage {
  const s = storage as Storage & { [CACHED]?: true };
  if (s[CACHED]) return storage;
  const lookup: Lookup = storage.getTargetValidationMetadatas.bind(storage);
  const group: Group = storage.groupByPropertyName.bind(storage);
  const addMetadata = storage.addValidationMetadata.bind(storage);
  const addSchema = storage.addValidationSchema.bind(storage);
  let byTarget = new Map<unknown, Map<string, ValidationMetadata[]>>();
  let grouped = new WeakMap<ValidationMetadata[], ReturnType<Group>>();
  const clear = () => {
    byTarget = new Map();
    grouped = new WeakMap();
  };
  storage.addValidationMetadata = (m) => {
    clear();
    addMetadata(m);
  };
  storage.addValidationSchema = (schema) => {
    clear();
    addSchema(schema);
  };
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
    const key = `${String(schema)}\u0000${always}\u0000${strictGroups}\u0000${groups ? JSON.stringify(groups) : ''}`;
    let perTarget = byTarget.get(target);
    if (!perTarget) byTarget.set(target, (perTarget = new Map()));
    let hit = perTarget.get(key);
    if (!hit) perTarget.set(key, (hit = lookup(target, schema, always, strictGroups, groups)));
    return hit;
  };
  storage.groupByPropertyName = (metadata) => {
    let hit = grouped.get(metadata);
    if (!hit) grouped.set(metadata, (hit = group(metadata)));
    return hit;
  };
  s[CACHED] = true;
  return storage;
}
