import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { get, post, startOnline, testRides, type StartedOnline } from './helpers.js';

/** A good ride in the shape POST /v1/quote takes. */
const GOOD = {
  ride_id: 'bad-input-good',
  pickup_time: Date.UTC(2019, 2, 12, 13, 5),
  pickup_zone: 'Midtown Center',
  dropoff_zone: 'Upper East Side North',
  pickup_borough: 'Manhattan',
  dropoff_borough: 'Manhattan',
  estimated_distance_miles: 2.4,
  passengers: 1,
  service_color: 'YELLOW',
  payment_method: 'CREDIT_CARD',
};
const { passengers: _, ...NO_PASSENGERS } = GOOD;
const FEATURES = 183;

const JSON_TYPE = { 'content-type': 'application/json' };
const MAX_RIDES = 10;
const BODY_LIMIT = 4096;

interface Case {
  name: string;
  path?: string;
  body: unknown;
  headers?: Record<string, string>;
  status: number;
  code?: string;
  field?: string;
  error: RegExp;
}

const quote = (
  body: unknown,
  status: number,
  code: string,
  field: string | undefined,
  error: RegExp,
  name: string,
): Case => ({
  name,
  body,
  status,
  code,
  field,
  error,
});

/** Every bad input with the exact status, code and field it gets. */
const CASES: Case[] = [
  {
    name: 'not JSON',
    body: '{"estimated_distance_miles": 2,',
    status: 400,
    code: 'FLEET_INPUT_INVALID',
    error: /not valid JSON/,
  },
  { name: 'empty JSON body', body: '', status: 400, code: 'FLEET_INPUT_INVALID', error: /empty/i },
  {
    name: 'prototype poisoning',
    body: '{"__proto__": {"x": 1}, "estimated_distance_miles": 2, "passengers": 1, "service_color": "YELLOW"}',
    status: 400,
    code: 'FLEET_INPUT_INVALID',
    error: /not valid JSON/,
  },
  {
    name: 'wrong content type',
    body: 'estimated_distance_miles=2',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'FLEET_INPUT_INVALID',
    error: /Unsupported Media Type/i,
  },
  quote([GOOD], 400, 'FLEET_INPUT_INVALID', undefined, /the body must be object/, 'a JSON array'),
  quote('"a ride"', 400, 'FLEET_INPUT_INVALID', undefined, /the body must be object/, 'a JSON string'),
  quote(NO_PASSENGERS, 400, 'FLEET_INPUT_INVALID', 'passengers', /^passengers is required$/, 'missing passengers'),
  quote(
    { ...GOOD, passenger: 1 },
    400,
    'FLEET_INPUT_INVALID',
    'passenger',
    /^passenger is not a known field$/,
    'unknown field',
  ),
  quote(
    { ...GOOD, passengers: '1' },
    400,
    'FLEET_INPUT_INVALID',
    'passengers',
    /^passengers must be integer$/,
    'passengers as text',
  ),
  quote(
    { ...GOOD, passengers: 1.5 },
    400,
    'FLEET_INPUT_INVALID',
    'passengers',
    /^passengers must be integer$/,
    'fractional passengers',
  ),
  quote(
    { ...GOOD, estimated_distance_miles: '2.4' },
    400,
    'FLEET_INPUT_INVALID',
    'estimated_distance_miles',
    /^estimated_distance_miles must be number$/,
    'distance as text',
  ),
  quote(
    { ...GOOD, pickup_time: '2019-03-12T13:05:00Z' },
    400,
    'FLEET_INPUT_INVALID',
    'pickup_time',
    /^pickup_time must be integer$/,
    'pickup time as an ISO string',
  ),
  quote(
    { ...GOOD, service_color: 'BLUE' },
    400,
    'FLEET_INPUT_INVALID',
    'service_color',
    /must be one of YELLOW, GREEN/,
    'unknown colour',
  ),
  quote(
    { ...GOOD, payment_method: 'card' },
    400,
    'FLEET_INPUT_INVALID',
    'payment_method',
    /must be one of CREDIT_CARD, CASH, UNKNOWN/,
    'unknown payment',
  ),
  quote(
    { ...GOOD, pickup_zone: 7 },
    400,
    'FLEET_INPUT_INVALID',
    'pickup_zone',
    /^pickup_zone must be string,null$/,
    'zone as a number',
  ),
  // The contract's own rules (the stream dead-letters the same rides with the same reasons).
  quote(
    { ...GOOD, estimated_distance_miles: -1 },
    400,
    'FLEET_VALIDATION_FAILED',
    'estimated_distance_miles',
    /^estimated_distance_miles is negative \(-1\)$/,
    'negative distance',
  ),
  quote(
    { ...GOOD, estimated_distance_miles: 250 },
    400,
    'FLEET_VALIDATION_FAILED',
    'estimated_distance_miles',
    /^estimated_distance_miles 250 exceeds 200$/,
    'distance over 200 miles',
  ),
  quote(
    { ...GOOD, passengers: 12 },
    400,
    'FLEET_VALIDATION_FAILED',
    'passengers',
    /^passengers 12 is outside 0-9$/,
    'too many passengers',
  ),
  quote(
    { ...GOOD, ride_id: '' },
    400,
    'FLEET_VALIDATION_FAILED',
    'ride_id',
    /^ride_id is missing or empty$/,
    'empty ride_id',
  ),
  quote(
    { ...GOOD, ride_id: 'x'.repeat(129) },
    400,
    'FLEET_VALIDATION_FAILED',
    'ride_id',
    /more than 128/,
    'ride_id too long',
  ),
  quote(
    { ...GOOD, ride_id: 'a\nb' },
    400,
    'FLEET_VALIDATION_FAILED',
    'ride_id',
    /control characters/,
    'ride_id with a line break',
  ),
  quote(
    { ...GOOD, pickup_time: 1000 },
    400,
    'FLEET_VALIDATION_FAILED',
    'pickup_time',
    /before 2009-01-01/,
    'pickup in 1970',
  ),
  quote(
    { ...GOOD, pickup_time: Date.now() + 3 * 86_400_000 },
    400,
    'FLEET_VALIDATION_FAILED',
    'pickup_time',
    /more than a day in the future/,
    'pickup in 3 days',
  ),
  quote(
    { ...GOOD, event_time: 9e15 },
    400,
    'FLEET_VALIDATION_FAILED',
    'event_time',
    /^event_time 9000000000000000 \(epoch ms\) is more than a day in the future$/,
    'event past the last JavaScript date',
  ),
  quote(
    { ...GOOD, dropoff_zone: 'z'.repeat(101) },
    400,
    'FLEET_VALIDATION_FAILED',
    'dropoff_zone',
    /too long/,
    'zone too long',
  ),
  // Lists.
  quote({ rides: [] }, 400, 'FLEET_INPUT_INVALID', 'rides', /^rides must NOT have fewer than 1 items$/, 'empty list'),
  quote(
    { rides: Array.from({ length: MAX_RIDES + 1 }, () => GOOD) },
    400,
    'FLEET_INPUT_INVALID',
    'rides',
    /^rides must NOT have more than 10 items$/,
    'more rides than ONLINE_MAX_RIDES',
  ),
  quote(
    { rides: [GOOD, { ...GOOD, passengers: 'two' }] },
    400,
    'FLEET_INPUT_INVALID',
    'rides[1].passengers',
    /must be integer/,
    'bad type in a list',
  ),
  quote(
    { rides: [GOOD, GOOD, { ...GOOD, passengers: 10 }] },
    400,
    'FLEET_VALIDATION_FAILED',
    'rides[2].passengers',
    /^rides\[2\]\.passengers 10 is outside 0-9$/,
    'contract rule broken in a list',
  ),
  quote(
    { rides: [GOOD], extra: 1 },
    400,
    'FLEET_INPUT_INVALID',
    'extra',
    /not a known field/,
    'unknown field beside rides',
  ),
  {
    name: 'body over ONLINE_BODY_LIMIT_BYTES',
    body: { rides: [{ ...GOOD, ride_id: 'x'.repeat(BODY_LIMIT) }] },
    status: 413,
    code: 'FLEET_REQUEST_TOO_LARGE',
    error: /too large/i,
  },
  // The Open Inference Protocol.
  ...(
    [
      [{}, 'inputs', /^inputs is required$/],
      [
        { inputs: [{ name: 'features', shape: [1, FEATURES], datatype: 'INT64', data: [] }] },
        'inputs[0].datatype',
        /must be FP32/,
      ],
      [
        { inputs: [{ name: 'x', shape: [1, FEATURES], datatype: 'FP32', data: [] }] },
        'inputs[0].name',
        /must be "features"/,
      ],
      [
        { inputs: [{ name: 'features', shape: [1, 2, 3], datatype: 'FP32', data: [] }] },
        'inputs[0].shape',
        /must be \[N, 183\]/,
      ],
      [
        { inputs: [{ name: 'features', shape: [MAX_RIDES + 1, FEATURES], datatype: 'FP32', data: [] }] },
        'inputs[0].shape',
        /N ≤ 10/,
      ],
      [
        { inputs: [{ name: 'features', shape: [1, FEATURES], datatype: 'FP32', data: [1, 2] }] },
        'inputs[0].data',
        /holds 2 values/,
      ],
      [
        { inputs: [{ name: 'features', shape: [1, FEATURES], datatype: 'FP32', data: [1, 'a'] }] },
        'inputs[0].data[1]',
        /finite number/,
      ],
      [
        // A finite float64 that FP32 cannot hold (it would reach the model as Infinity).
        { inputs: [{ name: 'features', shape: [1, FEATURES], datatype: 'FP32', data: [1, 1e39] }] },
        'inputs[0].data[1]',
        /^inputs\[0\]\.data\[1\] must be a finite number within FP32 range$/,
      ],
      [{ inputs: [{ name: 'features', shape: [1, FEATURES], datatype: 'FP32' }] }, 'inputs[0].data', /is required/],
      [
        { inputs: [{ name: 'features', shape: [-1, FEATURES], datatype: 'FP32', data: [] }] },
        'inputs[0].shape[0]',
        /must be >= 0/,
      ],
      [
        { inputs: [{ name: 'features', shape: [1, FEATURES], datatype: 'FP32', data: [] }], outputs: [{ name: 'y' }] },
        'outputs[0].name',
        /must be "variable"/,
      ],
    ] as const
  ).map(([body, field, error]): Case => ({
    name: `v2 infer: ${field} ${error.source}`,
    path: '/v2/models/duration/infer',
    body,
    status: 400,
    code: 'FLEET_INPUT_INVALID',
    field,
    error,
  })),
  {
    name: 'v2 infer of an unknown model',
    path: '/v2/models/fare/infer',
    body: {},
    status: 404,
    code: 'FLEET_UNKNOWN_MODEL',
    error: /no model "fare"/,
  },
];

describe('bad input to the online service (real HTTP): exact statuses, codes and fields', () => {
  let server: StartedOnline;

  beforeAll(async () => {
    server = await startOnline({ ONLINE_MAX_RIDES: String(MAX_RIDES), ONLINE_BODY_LIMIT_BYTES: String(BODY_LIMIT) });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const answer = await post(`${server.url}${c.path ?? '/v1/quote'}`, c.body, c.headers ?? JSON_TYPE);
    expect(answer.status).toBe(c.status);
    expect(answer.body.error).toMatch(c.error);
    expect(answer.body.code).toBe(c.code);
    expect(answer.body.field).toBe(c.field);
  });

  it('answers a good ride after all of them: no request took the process down', async () => {
    expect((await get(`${server.url}/healthz`)).status).toBe(200);
    const [ride] = await testRides(1, 'after-bad');
    const answer = await post(`${server.url}/v1/quote`, ride);
    expect(answer.status).toBe(200);
    expect(answer.body.ride_id).toBe('after-bad-0');
  });
});
