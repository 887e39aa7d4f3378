import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidMeasurementException, scaleTimestamps, timestampStart } from '../../src/core';
import { Batch } from '../../src/delivery/pending-lines';
import { describeServer, exceptionFromResponse, serverOfPing } from '../../src/servers';
import type { TransportResponse } from '../../src/transport';

const answer = (status: number, body: string, headers: TransportResponse['headers'] = {}): TransportResponse => ({
  status,
  headers,
  body,
});

describe('where a line keeps its timestamp', () => {
  it('after the fields, past spaces that are escaped or inside a string', () => {
    assert.equal(timestampStart('m v=1 17'), 6);
    assert.equal(timestampStart('m v=1'), -1);
    assert.equal(timestampStart('my\\ m,t\\ k=a\\ b v="x y" 5'), 'my\\ m,t\\ k=a\\ b v="x y" '.length);
    assert.equal(timestampStart('m s="a \\" b" 9'), 'm s="a \\" b" '.length);
    assert.equal(timestampStart('m s="no time here"'), -1);
  });

  it('minutes and hours become exact seconds; lines without a time are left alone', () => {
    assert.deepEqual(scaleTimestamps(['m v=1 28333333', 'm v="a b"', 'm v=2 -2'], 60n), [
      'm v=1 1699999980',
      'm v="a b"',
      'm v=2 -120',
    ]);
    assert.deepEqual(scaleTimestamps(['m v=1 472222'], 3600n), ['m v=1 1699999200']);
  });

  it('a line whose time is not a whole number is refused alone, as a point (so that isolating a rejected point finds it)', () => {
    assert.throws(
      () => scaleTimestamps(['m v=1 1', 'm s="x" 12\nm v=2 3'], 60n),
      (error: unknown) => error instanceof InvalidMeasurementException && /is not a whole number/.test(error.message),
    );
  });
});

describe('what /ping says the server is', () => {
  it('1.x and 2.x by their version header, 3.x by its header and answer, VictoriaMetrics by having neither', () => {
    assert.equal(serverOfPing(answer(204, '', { 'x-influxdb-version': '1.6.7~rc0' })).api, '1');
    assert.equal(serverOfPing(answer(204, '', { 'x-influxdb-version': 'v2.9.1' })).api, '2');
    const core = serverOfPing(
      answer(200, '{"version":"3.5.0","revision":"x","process_id":"y","product_name":"InfluxDB 3 Enterprise"}', {
        'x-influxdb-version': '3.5.0',
      }),
    );
    assert.equal(core.api, '3');
    assert.equal(describeServer(core), 'InfluxDB 3.5.0 Enterprise');
    assert.equal(serverOfPing(answer(200, '{"version":"3.0.1","revision":"x","process_id":"y"}')).api, '3');
    assert.deepEqual(serverOfPing(answer(204, '')), {
      api: 'victoriametrics',
      version: undefined,
      product: undefined,
    });
  });
});

describe("each server's error answers", () => {
  it("3.x's rejected lines are named, in its words", () => {
    const error = exceptionFromResponse(
      'write',
      answer(
        400,
        JSON.stringify({
          error: 'partial write of line protocol occurred',
          data: [{ original_line: 'm v="x" 3', line_number: 2, error_message: 'invalid column type' }],
        }),
      ),
    );
    assert.deepEqual(error.rejectedLines, [{ line: 2, message: 'invalid column type' }]);
    assert.match(error.message, /line 2: invalid column type/);
    const single = exceptionFromResponse(
      'write',
      answer(
        400,
        JSON.stringify({
          error: 'line protocol parsing error',
          data: { original_line: 'x', line_number: 1, error_message: 'No fields were provided' },
        }),
      ),
    );
    assert.deepEqual(single.rejectedLines, [{ line: 1, message: 'No fields were provided' }]);
  });

  it("2.x's JSON message, and its not-found answers as DatabaseNotFoundException", () => {
    for (const message of ['bucket "b" not found', 'no dbrp mapping found', 'organization name "o" not found']) {
      const error = exceptionFromResponse('write', answer(404, JSON.stringify({ code: 'not found', message })));
      assert.equal(error.code, 'DatabaseNotFoundException');
      assert.equal(error.serverMessage, message);
    }
  });
});

describe('a batch whose server named the rejected lines', () => {
  it('fails the entries that own them, numbered within each entry, and acknowledges the rest as written', () => {
    const outcomes: Array<string | undefined> = [];
    const ack = (i: number) => (error: string | undefined) => outcomes.push(error === undefined ? undefined : `${i}:${error}`);
    const batch = new Batch<string>(
      Buffer.from('a v=1\nb v=1\nb v=2\nc v=1\n'),
      [6, 18, 24],
      [1, 2, 1],
      [ack(0), ack(1), ack(2)],
    );
    batch.acknowledgeLines([{ line: 3, message: 'bad' }], (own) => own.map((line) => `${line.line}=${line.message}`).join());
    assert.deepEqual(outcomes, [undefined, '1:2=bad', undefined]);
  });
});
