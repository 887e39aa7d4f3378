import type { Series } from '../client';

/**
 * A series' name as InfluxDB writes a series key: the measurement, then each tag as `,key=value`, in the
 * order of the answer, escaped as line protocol escapes them (a backslash before a comma, space or `=`,
 * and before a backslash), so that two series never share a name.
 */
export function seriesKeyOf(series: Pick<Series, 'name' | 'tags'>): string {
  let key = series.name.replace(/[\\, ]/g, '\\$&');
  for (const [tag, value] of Object.entries(series.tags ?? {}))
    key += `,${tag.replace(/[\\, =]/g, '\\$&')}=${value.replace(/[\\, =]/g, '\\$&')}`;
  return key;
}
