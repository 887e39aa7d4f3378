import type { QueryValue, Row } from '../client';
import { setOwn } from '../util';

/**
 * Puts a value into a row under `key`, or, when the row has that key already (a tag and a column of one
 * name), under `key_1`, `key_2` and so on, as InfluxQL names a second column of one name. `__proto__` is
 * added as a column, not as the row's prototype.
 */
export function putUnique(row: Row, key: string, value: QueryValue): void {
  let name = key;
  for (let n = 1; Object.hasOwn(row, name); n++) name = `${key}_${n}`;
  setOwn(row, name, value);
}
