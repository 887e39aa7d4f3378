import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationException } from '../../src';
import { optionsOf, tuningOf, type OutDef } from '../../src/nodes/inflow-out/settings';

const def = (properties: Partial<OutDef> = {}): OutDef =>
  ({ id: 'out', type: 'inflow out', name: '', z: 'tab', server: 'cfg', ...properties }) as OutDef;

describe('the settings of inflow out', () => {
  it('a node saved by an older version (no properties but its server) gets the defaults', () => {
    const options = optionsOf(def(), 'ms');
    assert.equal(options.batchSize, 1000);
    assert.equal(options.flushInterval, 1000);
    assert.equal(options.maxBufferLines, 100_000);
    assert.equal(options.spool, true);
    assert.equal(options.spoolMaxBytes, 100 * 1024 * 1024);
    assert.equal(options.errorOutput, undefined);
    assert.equal(options.payload.measurement, '');
    assert.equal(options.payload.tags, undefined);
    assert.equal(options.payload.format, 'fields');
    assert.equal(options.payload.maxPoints, 100_000);
    assert.equal(options.payload.maker.precision, 'ms');
    assert.equal(options.payload.maker.point('', 'm', undefined, { count: 3 }, 'fields', 1), 'm count=3 1', 'no integer fields');
  });

  it("reads the editor's properties in the writer's vocabulary: autocommitEvery is the batch size", () => {
    const options = optionsOf(
      def({
        autocommitEvery: '50',
        flushInterval: 0,
        bufferLimit: '2000',
        spool: false,
        spoolLimit: 5,
        errorOutput: true,
        measurement: ' m ',
        matchFieldTypes: false,
        invalidValues: 'omit',
      }),
      's',
    );
    assert.deepEqual(
      { ...options, payload: undefined },
      {
        batchSize: 50,
        flushInterval: 0,
        maxBufferLines: 2000,
        spool: false,
        spoolMaxBytes: 5 * 1024 * 1024,
        jitterInterval: 0,
        maxRetries: undefined,
        errorOutput: 0,
        matchFieldTypes: false,
        invalidValues: 'omit',
        leftOut: { fields: 0 },
        payload: undefined,
      },
    );
    assert.equal(options.payload.measurement, 'm');
    assert.equal(options.payload.maker.point('', 'm', undefined, { a: NaN, b: 1 }, 'fields', 1), 'm b=1 1');
    assert.equal(options.leftOut.fields, 1);
  });

  it('invalid values other than refuse or omit are a ConfigurationException naming the choices', () => {
    assert.throws(
      () => optionsOf(def({ invalidValues: 'drop' }), 'ms'),
      (error: unknown) => error instanceof ConfigurationException && /"drop" is not one of 'refuse', 'omit'/.test(error.message),
    );
  });

  it('static tags and integer fields', () => {
    const options = optionsOf(def({ tags: '{"location":"garden"}', integerFields: ' count, , errors ' }), 'ms');
    assert.deepEqual(options.payload.tags, { location: 'garden' });
    assert.equal(
      options.payload.maker.point('', 'm', undefined, { count: 3, errors: 0, level: 3 }, 'fields', 1),
      'm,location=garden count=3i,errors=0i,level=3 1',
    );
  });

  it("the server's default tags go under the node's own: a node's tag wins, numbers and true/false are written as typed", () => {
    const options = optionsOf(def({ tags: '{"room":"lab","floor":2}' }), 'ms', { site: 'barn', room: 'default' });
    assert.deepEqual(options.payload.tags, { site: 'barn', room: 'lab', floor: '2' });
    assert.equal(
      options.payload.maker.point('', 'm', { room: 'attic' }, { v: 1 }, 'fields', 1),
      'm,floor=2,room=attic,site=barn v=1 1',
    );
    assert.deepEqual(optionsOf(def(), 'ms', { site: 'barn' }).payload.tags, { site: 'barn' });
  });

  it("a point's own tag named __proto__ is written beside default tags, not taken as the tags' prototype", () => {
    const options = optionsOf(def(), 'ms', { site: 'barn' });
    const own = JSON.parse('{"__proto__":"own"}') as Record<string, string>;
    assert.equal(options.payload.maker.point('', 'm', own, { v: 1 }, 'fields', 1), 'm,__proto__=own,site=barn v=1 1');
  });

  for (const [properties, words] of [
    [{ autocommitEvery: '0' }, /autocommit every must be a whole number of at least 1, not "0"/],
    [{ flushInterval: '1.5' }, /flush interval must be a whole number of at least 0/],
    [{ bufferLimit: 'lots' }, /buffer limit must be a whole number/],
    [{ tags: '{location: garden}' }, /tags must be a JSON object such as/],
    [{ tags: '["a"]' }, /tags must be a JSON object/],
    [{ tags: '{"room":{"floor":1}}' }, /^tags: the tag "room" must be text or a number, not an object$/],
    [{ tags: '{"room":""}' }, /^tags: the tag "room" must be text or a number, not empty text$/],
  ] as const) {
    it(`refuses ${JSON.stringify(properties)}, saying which property and why`, () => {
      assert.throws(
        () => optionsOf(def(properties), 'ms'),
        (error: unknown) => error instanceof ConfigurationException && words.test(error.message),
      );
    });
  }

  it("reads settings.js's tuning, with a minute for releasing idle writers by default", () => {
    assert.deepEqual(tuningOf({}), { retry: undefined, closeTimeout: undefined, idleRelease: 60_000 });
    assert.deepEqual(tuningOf({ inflowOutRetry: { firstDelay: 1 }, inflowOutCloseTimeout: 5, inflowOutIdleRelease: 10 }), {
      retry: { firstDelay: 1 },
      closeTimeout: 5,
      idleRelease: 10,
    });
  });

  for (const [settings, words] of [
    [{ inflowOutRetry: { firstDelay: '5000' } }, /inflowOutRetry\.firstDelay .* number of at least 0, not "5000"/],
    [{ inflowOutRetry: { firstDelay: -1 } }, /inflowOutRetry\.firstDelay/],
    [{ inflowOutRetry: { base: 0.5 } }, /inflowOutRetry\.base .* at least 1/],
    [{ inflowOutRetry: { jitter: 3 } }, /inflowOutRetry\.jitter .* from 0 to 1/],
    [{ inflowOutRetry: { maxRetryTime: Number.NaN } }, /inflowOutRetry\.maxRetryTime/],
    [{ inflowOutRetry: { firstdelay: 10 } }, /inflowOutRetry\.firstdelay .* not a setting: use firstDelay/],
    [{ inflowOutRetry: 5000 }, /inflowOutRetry .* must be an object/],
    [{ inflowOutCloseTimeout: '10s' }, /inflowOutCloseTimeout .* whole number of milliseconds, not "10s"/],
    [{ inflowOutIdleRelease: -5 }, /inflowOutIdleRelease/],
  ] as const) {
    it(`refuses settings.js's ${JSON.stringify(settings)}, saying which setting and why`, () => {
      assert.throws(
        () => tuningOf(settings),
        (error: unknown) => error instanceof ConfigurationException && words.test(error.message),
      );
    });
  }
});
