/**
 * Serializes the same points with this package's Measurement and with @influxdata/influxdb-client's
 * Point, in one run, checks both produce identical line protocol, and prints both rates.
 *
 *   npm run bench:serialize [-- --points 1000000 --rounds 5]
 */
import { Point } from '@influxdata/influxdb-client';
import type * as Package from '../src';
import { numberArg } from './args';

// The built package, as users run it (npm run build first; the bench script does), typed by its sources, so
// that the lint needs no build.
const { Measurement, Point: OurPoint } = require('../dist') as typeof Package;

const POINTS = numberArg('--points', 1_000_000);
const ROUNDS = numberArg('--rounds', 5);
const LOCATIONS = ['groningen', 'amsterdam', 'new york', 'zürich, ch'];
const SENSOR_TYPES = ['ni1000', 'pt100', 'ds18b20'];
const START_MS = 1_700_000_000_000;

// Fields in alphabetical order: Point sorts field keys, Measurement keeps the order given.
function ours(i: number): string {
  return new Measurement({
    name: 'temperature',
    tags: { location: LOCATIONS[i & 3], sensor_type: SENSOR_TYPES[i % 3] },
    count: BigInt(i),
    value: 20 + (i % 100) / 10,
    timestamp: START_MS + i,
  }).toLine('ms');
}

function ourPoint(i: number): string {
  return new OurPoint('temperature')
    .tag('location', LOCATIONS[i & 3] as string)
    .tag('sensor_type', SENSOR_TYPES[i % 3] as string)
    .intField('count', i)
    .floatField('value', 20 + (i % 100) / 10)
    .time(START_MS + i, 'ms')
    .toLineProtocol('ms');
}

function theirs(i: number): string {
  return new Point('temperature')
    .tag('location', LOCATIONS[i & 3] as string)
    .tag('sensor_type', SENSOR_TYPES[i % 3] as string)
    .floatField('value', 20 + (i % 100) / 10)
    .intField('count', i)
    .timestamp(START_MS + i)
    .toLineProtocol() as string;
}

function bareTemplate(i: number): string {
  return `temperature,location=${LOCATIONS[i & 3]},sensor_type=${SENSOR_TYPES[i % 3]} value=${20 + (i % 100) / 10},count=${i}i ${START_MS + i}`;
}

function rate(serialize: (i: number) => string): number {
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < POINTS; i++) bytes += serialize(i).length;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (bytes === 0) throw new Error('nothing serialized');
  return POINTS / seconds;
}

function checkIdentical(): void {
  for (let i = 0; i < 1000; i++) {
    const a = ours(i);
    const b = theirs(i);
    if (a !== b) throw new Error(`line protocol differs at point ${i}:\n  ours:   ${a}\n  theirs: ${b}`);
    const c = ourPoint(i);
    if (a !== c) throw new Error(`Point and Measurement differ at point ${i}:\n  Point:       ${c}\n  Measurement: ${a}`);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

checkIdentical();
// Warm up both, then alternate rounds so neither gets the machine's better moments.
rate(ours);
rate(theirs);
rate(ourPoint);
const results = { ours: [] as number[], point: [] as number[], theirs: [] as number[], bare: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  results.ours.push(rate(ours));
  results.point.push(rate(ourPoint));
  results.theirs.push(rate(theirs));
  results.bare.push(rate(bareTemplate));
}
const row = (label: string, values: number[]): string =>
  `${label.padEnd(44)} ${(median(values) / 1e6).toFixed(2).padStart(6)} M points/s`;
console.log(
  `Serializing ${POINTS.toLocaleString('en')} points (2 tags, a float and an integer field, ms time), median of ${ROUNDS} rounds`,
);
console.log(row('node-red-contrib-inflow Measurement.toLine', results.ours));
console.log(row('node-red-contrib-inflow Point.toLineProtocol', results.point));
console.log(row('@influxdata/influxdb-client Point', results.theirs));
console.log(row('bare template string (no escaping, no checks)', results.bare));
const ratio = median(results.ours) / median(results.theirs);
console.log(`ratio ours/theirs: ${ratio.toFixed(2)}x (target at least 2.5x); line protocol identical on 1,000 sampled points`);
const pointShare = median(results.point) / median(results.ours);
console.log(
  `Point at ${(pointShare * 100).toFixed(0)}% of Measurement's rate (target at least 90%); the same lines on 1,000 sampled points`,
);
