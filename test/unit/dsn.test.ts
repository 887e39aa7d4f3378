import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigurationException, maskDsn, parseDsn } from '../../src';

describe('parseDsn', () => {
  it('reads scheme, host, port, credentials and database', () => {
    assert.deepEqual(parseDsn('http://user:pass@localhost:8086/mydb'), {
      protocol: 'http',
      host: 'localhost',
      port: 8086,
      origin: 'http://localhost:8086',
      basePath: '',
      database: 'mydb',
      username: 'user',
      password: 'pass',
    });
  });

  it('percent-decodes user, password and database', () => {
    const dsn = parseDsn('https://us%40er:p%3Ass%23w%2Ford@db.example.com/my%20db');
    assert.equal(dsn.username, 'us@er');
    assert.equal(dsn.password, 'p:ss#w/ord');
    assert.equal(dsn.database, 'my db');
    assert.equal(dsn.port, 443);
    assert.equal(dsn.origin, 'https://db.example.com');
  });

  it('takes the last path segment as the database and the rest as a base path behind a proxy', () => {
    const dsn = parseDsn('http://proxy:8080/influx/v1/sensors/');
    assert.equal(dsn.database, 'sensors');
    assert.equal(dsn.basePath, '/influx/v1');
  });

  it('accepts IPv6 hosts and no credentials', () => {
    const dsn = parseDsn('http://[::1]:8086/db');
    assert.equal(dsn.origin, 'http://[::1]:8086');
    assert.equal(dsn.username, undefined);
    assert.equal(dsn.password, undefined);
  });

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['localhost:8086/db', /^DSN "localhost:8086\/db" has no scheme: write it as http:\/\/localhost:8086\/db$/],
    ['localhost:8086', /^DSN "localhost:8086" has no scheme: write it as http:\/\/localhost:8086$/],
    ['ftp://host/db', /only http and https/],
    ['http://host:8086', /names no database/],
    ['http://host:8086/', /names no database/],
    ['http://host:99999/db', /not a valid URL/],
    ['http://host:0/db', /port 0/],
    ['http://host:8086/db?precision=ms', /query string/],
    ['http://u:se#cret@host/db', /not a valid URL|query string or fragment/],
    ['http://user:%E0%A4%A@host/db', /badly percent-encoded password/],
  ];
  for (const [dsn, why] of bad) {
    it(`rejects ${JSON.stringify(dsn)} with a clear ConfigurationException`, () => {
      assert.throws(
        () => parseDsn(dsn),
        (error: unknown) => {
          assert.ok(error instanceof ConfigurationException);
          assert.match(error.message, why);
          assert.equal(error.code, 'ConfigurationException');
          assert.doesNotMatch(error.message, /cret|se#/);
          return true;
        },
      );
    });
  }
});

describe('maskDsn', () => {
  it('hides the password and keeps everything else', () => {
    assert.equal(maskDsn('http://user:s3cret@localhost:8086/db'), 'http://user:***@localhost:8086/db');
  });
  it('hides a password containing @ and :', () => {
    assert.equal(maskDsn('http://user:a@b:c@host/db'), 'http://user:***@host/db');
  });
  it('leaves a DSN without password as it is', () => {
    assert.equal(maskDsn('http://user@host/db'), 'http://user@host/db');
    assert.equal(maskDsn('http://host:8086/db'), 'http://host:8086/db');
  });
  it('hides the password of a DSN that does not parse', () => {
    assert.equal(maskDsn('http://user:se#cret@host/db'), 'http://user:***@host/db');
    assert.equal(maskDsn('user:secret@host/db'), 'user:***@host/db');
    assert.equal(maskDsn('user:p@ss:w@rd@host/db'), 'user:***@host/db', 'without a scheme too, to the last @');
  });
});
