/**
 * VictoriaMetrics through InfluxDB 1.x's `/write`: it stores string fields as 0 and cuts times below a
 * millisecond, both in silence (measured on 1.79), and answers every `/query` with the answer of
 * `SHOW DATABASES`. So such points are refused before sending, with the reason, unless the loss was
 * accepted; and queries are refused.
 */
import {
  ConfigurationException,
  LANGUAGES_OF,
  type ApiName,
  InvalidMeasurementException,
  bodyOf,
  linesOf,
  stringFieldsOf,
  timestampStart,
  type JsonValue,
  type LineProtocol,
  type Precision,
} from '../core';
import type { Transport, TransportRequest } from '../transport';
import {
  ask,
  credentialsVerdict,
  nothingToList,
  type AccessCheck,
  type CheckTarget,
  type ListKind,
  type TargetState,
} from './access';
import type { Table } from './answers';
import { databaseAndPolicy, type Destination, type QueryRequest, type ServerApi, type TableQuery } from './api';
import { postWrite } from './v1';

export class VictoriaApi implements ServerApi {
  readonly name: ApiName = 'victoriametrics';
  readonly languages = LANGUAGES_OF.victoriametrics;

  constructor(
    private readonly transport: Transport,
    private readonly timePrecision: Precision,
    private readonly acceptLoss: boolean,
  ) {}

  /** Each line is looked at before it is sent (strings, times below a millisecond): never sent unseen. */
  async writeGzipped(): Promise<boolean> {
    return false;
  }

  async write(lines: LineProtocol, destination: Destination, signal: AbortSignal | undefined): Promise<void> {
    // Only a string value can hold a line break (or a quote): without one, accepted loss needs no look at the lines.
    const precision = destination.precision ?? this.timePrecision;
    if (!this.acceptLoss || mayHoldString(lines)) {
      const each = linesOf(lines);
      for (const line of each) this.check(line, precision);
      // VictoriaMetrics cuts the body at every line break: it must find exactly the lines the body holds.
      if (lines instanceof Uint8Array && lineBreaks(lines) !== each.length) {
        throw new InvalidMeasurementException(
          'a value holds a line break, which VictoriaMetrics reads as the end of a line: the rest would be read as a point of its own',
        );
      }
    }
    const { database, retentionPolicy } = databaseAndPolicy(destination, 'VictoriaMetrics');
    if (retentionPolicy !== undefined) {
      throw new ConfigurationException(
        `retention policy ${JSON.stringify(retentionPolicy)} cannot be honoured: VictoriaMetrics ignores it (one retention for the whole server). Leave it out`,
      );
    }
    // The database becomes the label `db` of every series. A token goes as vmauth wants it.
    await postWrite(this.transport, '/write', { db: database, precision }, bodyOf(lines), signal, 'Bearer');
  }

  /** The credentials on a read path (vmauth checks them on every path); a database is only a label, made by writing. */
  async checkAccess(target: CheckTarget, withCredentials: boolean): Promise<AccessCheck> {
    const asked = await ask(this.transport, LABELS, withCredentials);
    if (asked.refused !== undefined) return asked.refused;
    const credentials = await credentialsVerdict(this.transport, LABELS, withCredentials);
    const database = target.bucket ?? target.database;
    return { credentials, targets: database === undefined ? [] : [{ kind: 'database', name: database, state: 'onFirstWrite' }] };
  }

  list(kind: ListKind): Promise<string[]> {
    return Promise.reject(nothingToList('VictoriaMetrics', kind));
  }

  create(target: CheckTarget): Promise<TargetState> {
    const database = target.bucket ?? target.database ?? '';
    return Promise.resolve({ kind: 'database', name: database, state: 'onFirstWrite' });
  }

  query(_text: string, _request: QueryRequest): Promise<JsonValue> {
    return Promise.reject(victoriaAnswersNoQueries());
  }

  // eslint-disable-next-line require-yield -- it answers no query at all
  async *tables(_text: string, _query: TableQuery): AsyncGenerator<Table, void, undefined> {
    throw victoriaAnswersNoQueries();
  }

  private check(line: string, precision: Precision): void {
    if (line === '') return;
    // Its parser cuts lines at every line break, in a string too: the rest would be read as a point of its own.
    if (line.includes('\n')) {
      const field = [...stringFieldsOf(line)].find(({ text }) => text.includes('\n'));
      throw new InvalidMeasurementException(
        `${field === undefined ? 'a value' : `field ${JSON.stringify(field.key)}`} holds a line break, which VictoriaMetrics reads as ` +
          'the end of the line even inside a string: remove it, or write the text elsewhere',
      );
    }
    if (this.acceptLoss) return;
    const key = stringFieldOf(line);
    if (key !== undefined) {
      throw new InvalidMeasurementException(
        `field ${JSON.stringify(key)} is a string, which VictoriaMetrics stores as 0: send a number (a client made with acceptLoss stores it anyway)`,
      );
    }
    const zeros = precision === 'u' ? 3 : precision === 'ns' ? 6 : 0;
    const start = zeros === 0 ? -1 : timestampStart(line);
    const time = start < 0 ? '' : line.slice(start);
    if (time !== '' && !time.endsWith('0'.repeat(zeros))) {
      throw new InvalidMeasurementException(
        `time ${time} (precision "${precision}") is finer than a millisecond, which VictoriaMetrics cuts off: ` +
          'use precision ms (a client made with acceptLoss stores it anyway)',
      );
    }
  }
}

function mayHoldString(lines: LineProtocol): boolean {
  return lines instanceof Uint8Array ? lines.includes(QUOTE) : lines.some((line) => line.includes('"'));
}

const QUOTE = 0x22;
const NEWLINE = 0x0a;

function lineBreaks(body: Uint8Array): number {
  let count = 0;
  for (let at = body.indexOf(NEWLINE); at !== -1; at = body.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

export function victoriaAnswersNoQueries(): ConfigurationException {
  return new ConfigurationException(
    'the server is VictoriaMetrics, which has no InfluxQL: it answers every /query with the answer of SHOW DATABASES. ' +
      'Read its data with its own API (/api/v1/export, PromQL), or set the server version if it is an InfluxDB',
  );
}

/** The key of the first string field of a line of line protocol, or undefined. */
export function stringFieldOf(line: string): string | undefined {
  return stringFieldsOf(line).next().value?.key;
}

/** A read path every VictoriaMetrics answers, and vmauth checks credentials on, as on every path. */
const LABELS: TransportRequest = { method: 'GET', path: '/api/v1/labels', query: { limit: '1' }, tokenScheme: 'Bearer' };
