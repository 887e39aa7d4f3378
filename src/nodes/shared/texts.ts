/**
 * Status texts from the locale files (locales/<lang>/<node>.json), so a translation can follow: the
 * runtime's own message catalog when it has them, the package's English catalog otherwise (the test
 * helper's runtime, for one, answers every key with the key).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { NodeAPI } from 'node-red';

export type TextValues = Record<string, string | number>;
/** A text by its key in the node's catalog (`inflow-out.status.pending`), with its values. */
export type Translate = (key: string, values?: TextValues) => string;

export function translatorOf(RED: NodeAPI): Translate {
  // A status is made several times a second: the runtime's translation (i18next's lookup, plural rules and
  // interpolation) runs once per text, with each value standing for itself, and the values are filled in here.
  const templates = new Map<string, string>();
  return (plain, values = {}) => {
    const key = pluralOf(plain, values);
    const names = Object.keys(values);
    const cacheKey = names.length === 0 ? key : `${key}\u0000${names.join(',')}`;
    let template = templates.get(cacheKey);
    if (template === undefined) {
      const full = `node-red-contrib-inflow/${key.slice(0, key.indexOf('.'))}:${key}`;
      const text = RED._(full, Object.fromEntries(names.map((name) => [name, `__${name}__`])));
      // A runtime without the text (yet) is asked again next time; its answer, once it has one, is kept.
      if (text === full || text === key) return english(key, values);
      template = text;
      templates.set(cacheKey, template);
    }
    return fill(template, values);
  };
}

/** The English text of a key, from the package's own catalog. */
export const english: Translate = (plain, values = {}) => {
  const key = pluralOf(plain, values);
  const template = englishTemplate(key);
  return template === undefined ? key : fill(template, values);
};

/**
 * The key of the text for a count: `key_one` for 1 and `key_other` for any other, when the catalog has
 * them (i18next's names for plural forms); the key itself otherwise.
 */
function pluralOf(key: string, values: TextValues): string {
  const { count } = values;
  if (typeof count !== 'number' || englishTemplate(`${key}_other`) === undefined) return key;
  return `${key}_${count === 1 ? 'one' : 'other'}`;
}

function englishTemplate(key: string): string | undefined {
  const set = key.slice(0, key.indexOf('.'));
  let entry: unknown = catalog(set);
  for (const part of key.split('.')) entry = (entry as Record<string, unknown> | undefined)?.[part];
  return typeof entry === 'string' ? entry : undefined;
}

/** A text with its `__name__` placeholders replaced by the values (one without a value is left as it is). */
function fill(template: string, values: TextValues): string {
  return template.includes('__')
    ? template.replace(/__(\w+)__/g, (all, name: string) => (name in values ? String(values[name]) : all))
    : template;
}

const catalogs = new Map<string, unknown>();

function catalog(set: string): unknown {
  if (!catalogs.has(set)) {
    // Beside the compiled nodes (dist/nodes/locales), or in the node's own folder when run from the sources.
    const file = [path.join(__dirname, '..', 'locales'), path.join(__dirname, '..', set, 'locales')]
      .map((dir) => path.join(dir, 'en-US', `${set}.json`))
      .find((candidate) => existsSync(candidate));
    catalogs.set(set, file === undefined ? {} : JSON.parse(readFileSync(file, 'utf8')));
  }
  return catalogs.get(set);
}
