/**
 * Sets `key` on `object` as its own property, whatever the key: assigning to "__proto__" would set the
 * object's prototype instead (or nothing, for a value that is not an object) and lose the value.
 */
export function setOwn<T>(object: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}
