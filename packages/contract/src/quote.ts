import type { DispatchPriority, PaymentMethod, RideStarted, ServiceColor } from './records.js';

/**
 * A ride as the online service's `POST /v1/quote` takes it (JSON): the `ride_started` shape,
 * with `ride_id` (generated), `event_time` and `pickup_time` (now), the zones and boroughs
 * (null) and `payment_method` (UNKNOWN) optional. Timestamps are epoch milliseconds.
 */
export type QuoteRide = Pick<RideStarted, 'estimated_distance_miles' | 'passengers'> & {
  service_color: ServiceColor;
  ride_id?: string;
  event_time?: number;
  pickup_time?: number;
  pickup_zone?: string | null;
  dropoff_zone?: string | null;
  pickup_borough?: string | null;
  dropoff_borough?: string | null;
  payment_method?: PaymentMethod;
};

/**
 * The online service's answer for one ride: the three estimates and what the decision
 * rules make of them, exactly as the stream's `ride_decision` for the same ride (without
 * its join fields: a quote always has all three estimates).
 */
export interface RideQuote {
  ride_id: string;
  duration_min: number;
  cost_usd: number;
  tip_usd: number;
  fare_quote_usd: number;
  eta_minutes: number;
  priority: DispatchPriority;
  /** Version of each model used, by model name. */
  model_versions: Record<string, string>;
  /** When the quote was made, epoch ms. */
  quoted_at: number;
  /** Fare range in USD and trip-time range in minutes (the decision's); null for model versions without an interval. */
  fare_low_usd: number | null;
  fare_high_usd: number | null;
  eta_low_minutes: number | null;
  eta_high_minutes: number | null;
}

/** The `RideStarted` a quote request's ride stands for, its optional fields filled in. */
export function rideOfQuote(input: QuoteRide, now: number, rideId: () => string): RideStarted {
  return {
    ride_id: input.ride_id ?? rideId(),
    event_time: input.event_time ?? now,
    pickup_time: input.pickup_time ?? now,
    pickup_zone: input.pickup_zone ?? null,
    dropoff_zone: input.dropoff_zone ?? null,
    pickup_borough: input.pickup_borough ?? null,
    dropoff_borough: input.dropoff_borough ?? null,
    estimated_distance_miles: input.estimated_distance_miles,
    passengers: input.passengers,
    service_color: input.service_color,
    payment_method: input.payment_method ?? 'UNKNOWN',
  };
}
