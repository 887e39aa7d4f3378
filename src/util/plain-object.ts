/**
 * Whether a value is a plain object (an object literal, `JSON.parse` output, `Object.create(null)`),
 * from this JavaScript realm or another one: a Function node runs in a `vm` context whose object
 * literals inherit from that context's own `Object.prototype`, not this one's.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return true;
  return isForeignObjectPrototype(proto);
}

const OBJECT_SOURCE = Function.prototype.toString.call(Object);

/**
 * Other realms' `Object.prototype`s found so far: a Function node's objects all share one, and telling it
 * costs a property descriptor and a function's source text, each time, for every message.
 */
const foreignObjectPrototypes = new WeakSet<object>();

/** Another realm's `Object.prototype`: a prototype with none above it, whose constructor is that realm's native `Object`. */
function isForeignObjectPrototype(proto: unknown): boolean {
  if (typeof proto !== 'object' || proto === null || Object.getPrototypeOf(proto) !== null) return false;
  if (foreignObjectPrototypes.has(proto)) return true;
  const constructor: unknown = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value;
  const foreign = typeof constructor === 'function' && Function.prototype.toString.call(constructor) === OBJECT_SOURCE;
  if (foreign) foreignObjectPrototypes.add(proto);
  return foreign;
}
