/**
 * Point: the fluent builder of InfluxData's clients (influxdb-client-python's Point), serialized by the same code as every
 * other write form, so a Point and a Measurement of the same data give the same line, byte for byte.
 */
import {
  convertTimestamp,
  InvalidMeasurementException,
  serializeLine,
  UnsignedInteger,
  type FieldValue,
  type Precision,
  type Timestamp,
} from '../core';
import { quote } from '../util';

export class Point {
  readonly #name: string;
  readonly #tags: Record<string, string> = {};
  readonly #fields: Record<string, FieldValue> = {};
  #time: Timestamp | undefined;
  #unit: Precision | undefined;

  constructor(measurement: string) {
    if (typeof measurement !== 'string' || measurement === '')
      throw new InvalidMeasurementException('a Point needs a measurement name');
    this.#name = measurement;
  }

  static measurement(name: string): Point {
    return new Point(name);
  }

  get name(): string {
    return this.#name;
  }

  tag(key: string, value: string): this {
    this.#tags[key] = value;
    return this;
  }

  floatField(key: string, value: number): this {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InvalidMeasurementException(`float field ${quote(key)} is ${String(value)}: give a finite number`);
    }
    this.#fields[key] = value;
    return this;
  }

  intField(key: string, value: number | bigint): this {
    if (typeof value === 'number' && !Number.isSafeInteger(value)) {
      throw new InvalidMeasurementException(
        `integer field ${quote(key)} is ${value}: give a whole number (a bigint beyond 2^53)`,
      );
    }
    if (typeof value !== 'number' && typeof value !== 'bigint') {
      throw new InvalidMeasurementException(`integer field ${quote(key)} must be a number or bigint, not ${typeof value}`);
    }
    this.#fields[key] = BigInt(value);
    return this;
  }

  uintField(key: string, value: number | bigint): this {
    this.#fields[key] = new UnsignedInteger(value, key);
    return this;
  }

  booleanField(key: string, value: boolean): this {
    if (typeof value !== 'boolean') throw new InvalidMeasurementException(`boolean field ${quote(key)} must be true or false`);
    this.#fields[key] = value;
    return this;
  }

  stringField(key: string, value: string): this {
    if (typeof value !== 'string') throw new InvalidMeasurementException(`string field ${quote(key)} must be a string`);
    this.#fields[key] = value;
    return this;
  }

  /** A field by its JavaScript type: a number is a float, a bigint an integer, as everywhere in this package. */
  field(key: string, value: FieldValue): this {
    this.#fields[key] = value;
    return this;
  }

  /**
   * The point's time: a Date, an RFC3339 string, or a whole number (or bigint) of `precision` units; a
   * number without a precision is in the writer's.
   */
  time(value: Timestamp, precision?: Precision): this {
    this.#time = value;
    this.#unit = precision;
    return this;
  }

  /** The point as a line of line protocol with its time in `precision` (default `ns`, as InfluxData's clients). */
  toLineProtocol(precision: Precision = 'ns'): string {
    const time =
      this.#unit !== undefined && this.#unit !== precision && (typeof this.#time === 'number' || typeof this.#time === 'bigint')
        ? convertTimestamp(this.#time, this.#unit, precision)
        : this.#time;
    return serializeLine(this.#name, this.#tags, this.#fields, 'fields', time, precision);
  }

  toString(): string {
    return this.toLineProtocol();
  }
}
