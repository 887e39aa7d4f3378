/** Tags typed into a node's dialog as a JSON object: inflow out's own, and the config node's default tags. */
import { ConfigurationException } from '../../core';
import { describeType, isPlainObject } from '../../util';

/**
 * The tags a property's JSON text names, each value as text (a number or true/false as JavaScript writes it),
 * or undefined for none; a ConfigurationException that names the property, and the tag, for anything else.
 */
export function tagsOfJson(text: unknown, property: string): Record<string, string> | undefined {
  if (text === undefined || text === null || (typeof text === 'string' && text.trim() === '')) return undefined;
  const example = `a JSON object such as {"location":"garden"}`;
  if (typeof text !== 'string') throw new ConfigurationException(`${property} must be ${example}, not ${describeType(text)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigurationException(`${property} must be ${example}, not ${JSON.stringify(text)}`);
  }
  if (!isPlainObject(parsed)) throw new ConfigurationException(`${property} must be ${example}`);
  const tags: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value === 'string' && value !== '') tags.push([key, value]);
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') tags.push([key, String(value)]);
    else
      throw new ConfigurationException(
        `${property}: the tag ${JSON.stringify(key)} must be text or a number, not ${valueWords(value)}`,
      );
  }
  // fromEntries makes each tag the object's own, one named __proto__ too.
  return tags.length === 0 ? undefined : Object.fromEntries(tags);
}

/** Default tags under a node's own: a node's tag wins over the default of the same key. */
export function tagsOver(
  own: Record<string, string> | undefined,
  defaults: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  if (defaults === undefined) return own;
  return own === undefined ? { ...defaults } : { ...defaults, ...own };
}

function valueWords(value: unknown): string {
  if (value === '') return 'empty text';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  // JSON reads a number too large for JavaScript as Infinity.
  return typeof value === 'number' ? 'a number too large to write' : 'an object';
}
