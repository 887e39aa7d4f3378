/** What the test servers hold: points by database (or bucket), a series and a time each, and each field's type. */
import type { FieldType, ParsedPoint, StoredValue } from './line-protocol';

export interface StoredPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, StoredValue>;
  /** Nanoseconds since the epoch. */
  time: bigint;
}

export class PointStore {
  private readonly databases = new Map<string, Map<string, StoredPoint>>();
  private readonly types = new Map<string, FieldType>();

  has(database: string): boolean {
    return this.databases.has(database);
  }

  /** Every database (or bucket), in the order they were made. */
  names(): string[] {
    return [...this.databases.keys()];
  }

  create(database: string): void {
    if (!this.databases.has(database)) this.databases.set(database, new Map());
  }

  /** The type conflict a point would cause, in the words of InfluxDB's "field type conflict", or undefined. */
  conflictOf(database: string, point: ParsedPoint): { field: string; type: FieldType; existing: FieldType } | undefined {
    for (const [field, { type }] of Object.entries(point.fields)) {
      const existing = this.types.get(`${database}\u0000${point.measurement}\u0000${field}`);
      if (existing !== undefined && existing !== type) return { field, type, existing };
    }
    return undefined;
  }

  /** Stores a point at `time` ns: a point of the same series and time is merged, as InfluxDB does. */
  put(database: string, point: ParsedPoint, time: bigint): void {
    this.create(database);
    const points = this.databases.get(database) as Map<string, StoredPoint>;
    const tagKey = Object.keys(point.tags)
      .sort()
      .map((key) => `${key}=${point.tags[key]}`)
      .join(',');
    const key = `${point.measurement}\u0000${tagKey}\u0000${time}`;
    const stored = points.get(key) ?? { measurement: point.measurement, tags: { ...point.tags }, fields: {}, time };
    for (const [field, { type, value }] of Object.entries(point.fields)) {
      stored.fields[field] = value;
      this.types.set(`${database}\u0000${point.measurement}\u0000${field}`, type);
    }
    points.set(key, stored);
  }

  /** The field types of a database's measurements (of one, or all), measurement by measurement, fields sorted: SHOW FIELD KEYS. */
  fieldTypes(database: string, measurement?: string): Map<string, Array<[string, FieldType]>> {
    const found = new Map<string, Array<[string, FieldType]>>();
    for (const [key, type] of this.types) {
      const [db, name = '', field = ''] = key.split('\u0000');
      if (db !== database || (measurement !== undefined && name !== measurement)) continue;
      found.set(name, [...(found.get(name) ?? []), [field, type]]);
    }
    for (const fields of found.values()) fields.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return new Map([...found].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  /** Forgets a measurement, its points and its field types (DROP MEASUREMENT), so that its fields may take other types. */
  drop(database: string, measurement: string): void {
    for (const key of [...this.types.keys()]) if (key.startsWith(`${database}\u0000${measurement}\u0000`)) this.types.delete(key);
    const points = this.databases.get(database);
    for (const [key, point] of points ?? []) if (point.measurement === measurement) points?.delete(key);
  }

  /** Points of a database, oldest first, of one measurement or all. */
  points(database: string, measurement?: string): StoredPoint[] {
    const all = [...(this.databases.get(database)?.values() ?? [])];
    return all
      .filter((point) => measurement === undefined || point.measurement === measurement)
      .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  }
}
