import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidArgumentException, InvalidMeasurementException, LineMaker, Measurement } from '../../src';

const lines = (...args: unknown[]) => new LineMaker({ precision: 's' }).call(args);

describe('write argument forms', () => {
  it('(name, kwargs): tags and timestamp are reserved, every other key is a field', () => {
    assert.deepEqual(lines('temperature', { tags: { location: 'groningen' }, value: 21.3, timestamp: 1475845863 }), {
      lines: ['temperature,location=groningen value=21.3 1475845863'],
      options: undefined,
    });
  });

  it('(name, kwargs) with several fields, and a field called name', () => {
    assert.deepEqual(lines('pump', { timestamp: 1, name: 'p1', lower_sensor: 20.9 }).lines, [
      'pump name="p1",lower_sensor=20.9 1',
    ]);
  });

  it('(measurements[]) with Measurement instances, kwargs-with-name and the dict form', () => {
    const result = lines([
      new Measurement({ name: 'temperature', tags: { sensor_type: 'ni1000' }, value: 21.3, timestamp: 1 }),
      { name: 'temperature', value: 20.1, timestamp: 2 },
      { measurement: 'humidity', tags: { room: 'a' }, fields: { rh: 40 }, time: 3 },
      { name: 'humidity', fields: { rh: 41 }, timestamp: 4 },
    ]);
    assert.deepEqual(result.lines, [
      'temperature,sensor_type=ni1000 value=21.3 1',
      'temperature value=20.1 2',
      'humidity,room=a rh=40 3',
      'humidity rh=41 4',
    ]);
  });

  it('(template, rows[]): the template names the measurement, row tags merge over its tags', () => {
    const result = lines({ name: 'temperature', tags: { location: 'groningen', sensor: 'a' } }, [
      { value: 21.3, timestamp: 1 },
      { tags: { sensor: 'b' }, value: 20.1, timestamp: 2 },
    ]);
    assert.deepEqual(result.lines, [
      'temperature,location=groningen,sensor=a value=21.3 1',
      'temperature,location=groningen,sensor=b value=20.1 2',
    ]);
  });

  it('(measurement) alone, and a trailing options object in every form', () => {
    const options = { retentionPolicy: 'rp_four_weeks', database: 'other' };
    assert.deepEqual(lines(new Measurement({ name: 'm', v: 1, timestamp: 1 }), options), { lines: ['m v=1 1'], options });
    assert.deepEqual(lines('m', { v: 1, timestamp: 1 }, options).options, options);
    assert.deepEqual(lines([{ name: 'm', v: 1 }], options).options, options);
    assert.deepEqual(lines({ name: 'm' }, [{ v: 1 }], options).options, options);
  });

  it('a Measurement does not change when the object it was made from changes', () => {
    const init = { name: 'm', v: 1, timestamp: 1 };
    const measurement = new Measurement(init);
    init.v = 2;
    assert.equal(measurement.toLine('s'), 'm v=1 1');
    assert.deepEqual(measurement.fields, { v: 1 });
    (measurement.fields as Record<string, number>).v = 3;
    assert.equal(measurement.toLine('s'), 'm v=3 1');
  });

  it('names the failing element of a list', () => {
    assert.throws(() => lines('m', { v: 1 }, 'rp'), /write options must be an object/);
    assert.throws(
      () =>
        lines([
          { name: 'm', v: 1 },
          { name: 'm', v: Number.NaN },
        ]),
      (error: unknown) =>
        error instanceof InvalidMeasurementException && /^measurements\[1\]: field "v" is NaN/.test(error.message),
    );
    assert.throws(() => lines({ name: 'm' }, [{ v: 1 }, { v: 2 }, { v: {} }]), /rows\[2\]: field "v" is of type Object/);
    assert.throws(
      () => lines({ tags: {} }, [{ v: 1 }]),
      (error: unknown) =>
        error instanceof InvalidMeasurementException && /^the template has no measurement name/.test(error.message),
    );
    assert.throws(() => lines('m', 21.3), /must be given as an object such as \{ value: 21.3 \}, not number/);
    assert.throws(() => lines(42), /cannot make measurements of a number/);
    assert.throws(() => lines([5]), /measurements\[0\]: a measurement must be an object, not number/);
    assert.throws(() => lines('m', { v: 1 }, { retentionPolicy: 5 }), /retentionPolicy must be a non-empty string/);
  });

  it('line protocol text: a line without a time is stamped now in the precision, one with a time kept as it is', () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const made = new LineMaker({ precision: 'ns' }).text('cpu v=1\ncpu v=2\ncpu v=3 17', (n) => `line ${n}`);
    const after = BigInt(Date.now() + 1) * 1_000_000n;
    assert.equal(made[2], 'cpu v=3 17');
    const stamps = made.slice(0, 2).map((line) => BigInt(line.split(' ')[2] as string));
    for (const stamp of stamps) assert.ok(stamp >= before && stamp < after, `${stamp} is not between ${before} and ${after}`);
    // Two lines of one series in one text keep two times at ns precision, as two points would.
    assert.ok((stamps[1] as bigint) > (stamps[0] as bigint));
  });

  it('a line maker refuses an invalidValues that is neither refuse nor omit, naming the choices', () => {
    // As JavaScript may pass it: the type allows only the two.
    const options = { precision: 's', invalidValues: 'drop' } as unknown as ConstructorParameters<typeof LineMaker>[0];
    assert.throws(
      () => new LineMaker(options),
      (error: unknown) =>
        error instanceof InvalidArgumentException && error.message === `invalidValues "drop" is not one of 'refuse', 'omit'`,
    );
  });
});
