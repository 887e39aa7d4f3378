import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as inflow from '../../src';
import { exceptionFromQueryResult, exceptionFromResponse, parseRetryAfter } from '../../src/servers';

const json = (error: string): string => JSON.stringify({ error });

describe('exception classes', () => {
  const names = [
    'InfluxDBException',
    'QueryFailedException',
    'WriteFailedException',
    'DatabaseNotFoundException',
    'RetentionPolicyNotFoundException',
    'UnauthorizedException',
    'ForbiddenException',
    'ConnectionFailedException',
    'TimeoutException',
    'InvalidMeasurementException',
    'ConfigurationException',
    'ClientClosedException',
    'BufferOverflowException',
    'AnswerTooLargeException',
    'InvalidArgumentException',
  ] as const;
  for (const name of names) {
    it(`${name} has name and an own code equal to its class name`, () => {
      const error = new inflow[name]('boom', { status: 500 });
      assert.ok(error instanceof inflow.InfluxDBException);
      assert.ok(error instanceof Error);
      assert.equal(error.name, name);
      assert.equal(error.code, name);
      assert.ok(Object.prototype.hasOwnProperty.call(error, 'code'));
      assert.equal(error.status, 500);
      assert.equal(error.message, 'boom');
    });
  }

  it("the spool's lock error is one of them, its code its name", () => {
    const error = new inflow.SpoolLockedError('/tmp/x', 42);
    assert.ok(error instanceof inflow.InfluxDBException);
    assert.equal(error.code, 'SpoolLockedError');
    assert.match(error.message, /in use by process 42/);
  });

  it('every exception the package exports is one of them, and tested here', () => {
    const exported = Object.entries(inflow)
      .filter(
        ([, value]) =>
          typeof value === 'function' &&
          (value === inflow.InfluxDBException || value.prototype instanceof inflow.InfluxDBException),
      )
      .map(([name]) => name)
      .sort();
    assert.deepEqual(exported, [...names, 'SpoolLockedError'].sort());
  });
});

// [operation, status, body, headers, exception name, message must include]
const responses: Array<['write' | 'query' | 'ping', number, string, Record<string, string>, string, string]> = [
  [
    'write',
    400,
    json("unable to parse 'x': missing field value"),
    {},
    'WriteFailedException',
    "unable to parse 'x': missing field value",
  ],
  [
    'write',
    400,
    json(
      'partial write: field type conflict: input field "value" on measurement "cpu" is type string, already exists as type float dropped=1',
    ),
    {},
    'WriteFailedException',
    'field type conflict',
  ],
  ['write', 404, json('database not found: "nodb"'), {}, 'DatabaseNotFoundException', 'database not found: "nodb"'],
  [
    'write',
    500,
    json('retention policy not found: nope'),
    {},
    'RetentionPolicyNotFoundException',
    'retention policy not found: nope',
  ],
  ['write', 413, 'Request Entity Too Large', {}, 'WriteFailedException', 'Request Entity Too Large'],
  ['write', 401, json('authorization failed'), {}, 'UnauthorizedException', 'authorization failed'],
  [
    'write',
    403,
    json('"bob" user is not authorized to write to database "adb"'),
    {},
    'ForbiddenException',
    'not authorized to write',
  ],
  ['write', 404, '404 page not found\n', { 'content-type': 'text/plain' }, 'WriteFailedException', '404 page not found'],
  ['write', 502, '<html><body>Bad Gateway</body></html>', {}, 'WriteFailedException', 'Bad Gateway'],
  ['write', 503, '', { 'x-influxdb-error': 'engine is closed' }, 'WriteFailedException', 'engine is closed'],
  ['write', 500, '', {}, 'WriteFailedException', 'HTTP 500 with an empty body'],
  ['query', 400, json('error parsing query: found SELEC, expected SELECT'), {}, 'QueryFailedException', 'found SELEC'],
  [
    'query',
    401,
    json('unable to parse authentication credentials'),
    {},
    'UnauthorizedException',
    'unable to parse authentication credentials',
  ],
  [
    'query',
    403,
    json('error authorizing query: writer not authorized to execute statement'),
    {},
    'ForbiddenException',
    'error authorizing query',
  ],
  ['query', 500, '{not json', {}, 'QueryFailedException', '{not json'],
  ['ping', 502, 'bad gateway', {}, 'InfluxDBException', 'bad gateway'],
];

describe('exceptionFromResponse', () => {
  for (const [operation, status, body, headers, name, text] of responses) {
    it(`maps ${operation} ${status} ${body.slice(0, 40) || JSON.stringify(headers)} to ${name}`, () => {
      const error = exceptionFromResponse(operation, { status, headers, body });
      assert.equal(error.name, name);
      assert.equal(error.status, status);
      assert.ok(error.message.includes(text), error.message);
      assert.ok(error.message.includes(String(status)), error.message);
    });
  }

  it("quotes at most 300 characters of the server's text in a message, keeping it whole in serverMessage", () => {
    const huge = `unable to parse '${'x'.repeat(70_000)}': max key length exceeded`;
    for (const body of ['y'.repeat(10_000), json(huge)]) {
      const error = exceptionFromResponse('write', { status: 400, headers: {}, body });
      assert.ok(error.message.length < 400, `${error.message.length} characters`);
    }
    assert.equal(exceptionFromResponse('write', { status: 400, headers: {}, body: json(huge) }).serverMessage, huge);
  });

  it('reads Retry-After in seconds, as the HTTP standard says', () => {
    const error = exceptionFromResponse('write', { status: 429, headers: { 'retry-after': '7' }, body: '' });
    assert.equal(error.retryAfter, 7000);
    assert.equal(error.retryable, true);
  });

  it('marks 5xx and 429 retryable and other 4xx not', () => {
    const at = (status: number) => exceptionFromResponse('write', { status, headers: {}, body: '' }).retryable;
    assert.deepEqual(
      [at(500), at(503), at(429), at(400), at(404), at(401), at(413)],
      [true, true, true, false, false, false, false],
    );
    assert.equal(new inflow.ConnectionFailedException('x').retryable, true);
    assert.equal(new inflow.TimeoutException('x').retryable, true);
    assert.equal(new inflow.InvalidMeasurementException('x').retryable, false);
    assert.equal(
      exceptionFromResponse('write', { status: 500, headers: {}, body: json('retention policy not found: rp') }).retryable,
      false,
    );
  });
});

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Wed, 31 Dec 2025 00:00:30 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

describe('exceptionFromQueryResult', () => {
  it('maps errors reported inside a 200 answer', () => {
    assert.equal(exceptionFromQueryResult('database not found: nodb', 0).name, 'DatabaseNotFoundException');
    assert.equal(exceptionFromQueryResult('database name required', 0).name, 'QueryFailedException');
    const error = exceptionFromQueryResult('retention policy not found: rp', 2);
    assert.equal(error.name, 'RetentionPolicyNotFoundException');
    assert.match(error.message, /statement 2/);
  });
});
