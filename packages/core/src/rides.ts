/** Taxi service of a ride, as in the `ride_started` schema. */
export type ServiceColor = 'YELLOW' | 'GREEN';

/** Payment method chosen at pickup, as in the `ride_started` schema. */
export type PaymentMethod = 'CREDIT_CARD' | 'CASH' | 'UNKNOWN';

/**
 * A `ride_started` event as decoded from Avro (`schemas/ride_started.avsc`): only what the
 * backend knows when a ride starts. Timestamps are epoch milliseconds (UTC).
 */
export interface RideStarted {
  ride_id: string;
  event_time: number;
  pickup_time: number;
  pickup_zone: string | null;
  dropoff_zone: string | null;
  pickup_borough: string | null;
  dropoff_borough: string | null;
  estimated_distance_miles: number;
  passengers: number;
  service_color: ServiceColor;
  payment_method: PaymentMethod;
}
