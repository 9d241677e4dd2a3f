/**
 * JSON schemas of the request bodies, checked by Fastify (Ajv) before a handler runs. They
 * check the shape (fields, types, enums); the contract's own rules (ranges, lengths,
 * timestamps) are then checked by `rideFieldProblem`, the same function the stream uses.
 */
const nullableText = { type: ['string', 'null'] };

/** A ride in the `ride_started` shape; `ride_id`, times, zones and payment optional. */
export const RIDE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['estimated_distance_miles', 'passengers', 'service_color'],
  properties: {
    ride_id: { type: 'string' },
    event_time: { type: 'integer' },
    pickup_time: { type: 'integer' },
    pickup_zone: nullableText,
    dropoff_zone: nullableText,
    pickup_borough: nullableText,
    dropoff_borough: nullableText,
    estimated_distance_miles: { type: 'number' },
    passengers: { type: 'integer' },
    service_color: { type: 'string', enum: ['YELLOW', 'GREEN'] },
    payment_method: { type: 'string', enum: ['CREDIT_CARD', 'CASH', 'UNKNOWN'] },
  },
} as const;

/** `POST /v1/quote`: one ride, or `{"rides": [...]}` of 1 to `maxRides` rides. */
export function quoteBodySchema(maxRides: number) {
  return {
    type: 'object',
    if: { required: ['rides'] },
    then: {
      additionalProperties: false,
      properties: { rides: { type: 'array', minItems: 1, maxItems: maxRides, items: RIDE_SCHEMA } },
    },
    else: RIDE_SCHEMA,
  };
}

const parameters = { type: 'object' };

/** `POST /v2/models/{m}/infer`: the Open Inference Protocol's inference request. */
export const INFER_BODY_SCHEMA = {
  type: 'object',
  required: ['inputs'],
  properties: {
    id: { type: 'string' },
    parameters,
    inputs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['name', 'shape', 'datatype'],
        properties: {
          name: { type: 'string' },
          shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
          datatype: { type: 'string' },
          parameters,
          data: { type: 'array' },
        },
      },
    },
    outputs: {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, parameters } },
    },
  },
} as const;
