import { FleetError, loadSchema, rideFieldProblem, valueSubject, type RideStarted } from '@fleet/contract';
import {
  createSerde,
  noTracing,
  retry,
  type KafkaClient,
  type ProducerClient,
  type Registry,
  type Serde,
  type Tracing,
} from '@fleet/core';

/** Publishes `ride_started` events. */
export interface RidePublisher {
  /** Sends `rides` in one request, keyed by `ride_id`; resolves once the broker acknowledged them. */
  publish(rides: readonly RideStarted[]): Promise<void>;
  close(): Promise<void>;
}

/** Options of {@link createRidePublisher}. */
export interface RidePublisherOptions {
  /** Called before each new attempt of a failed send (the broker away, a restart). */
  onRetry?: (err: unknown, attempt: number) => void;
  /**
   * Check every ride against the contract (`rideFieldProblem`, the rules the model services
   * apply) before anything is sent. @default true
   */
  validate?: boolean;
  /**
   * Starts each ride's trace: a `publish <topic>` span per ride, whose context the record
   * carries in its `traceparent` header to the model services and the decision. @default none
   */
  tracing?: Tracing;
}

/**
 * Throws FleetError FLEET_VALIDATION_FAILED naming the first ride of `rides` that breaks the
 * contract and its field (context `field`, `ride_id`, `index`); nothing is sent then.
 */
export function checkRides(rides: readonly RideStarted[], now = Date.now()): void {
  rides.forEach((ride, index) => {
    const problem = rideFieldProblem(ride, now);
    if (problem === null) return;
    const which = rides.length > 1 ? `ride ${index} (${String(ride.ride_id)})` : `ride ${String(ride.ride_id)}`;
    throw new FleetError('FLEET_VALIDATION_FAILED', `${which} breaks the contract: ${problem.message}`, {
      context: { field: problem.field, ride_id: ride.ride_id, index },
    });
  });
}

/** Connects a {@link RidePublisher} to `topic`, registering the schema if needed. */
export async function createRidePublisher(
  kafka: KafkaClient,
  registry: Registry,
  topic: string,
  options: RidePublisherOptions = {},
): Promise<RidePublisher> {
  const serde: Serde<RideStarted> = await createSerde(registry, valueSubject(topic), loadSchema('ride_started'));
  const producer: ProducerClient = await kafka.producer();
  await producer.prepare([topic]);
  const validate = options.validate ?? true;
  const tracing = options.tracing ?? noTracing;
  return {
    async publish(rides) {
      if (validate) checkRides(rides);
      const spans = rides.map((r) =>
        tracing.span(`publish ${topic}`, {
          kind: 'producer',
          attributes: { 'messaging.system': 'kafka', 'messaging.destination.name': topic, 'fleet.ride_id': r.ride_id },
        }),
      );
      const records = rides.map((r, i) => ({ key: r.ride_id, value: serde.encode(r), headers: spans[i].headers }));
      try {
        // A send fails when the broker restarts under it; it is sent again, as a backend
        // should (a ride published twice is decided once).
        await retry(() => producer.send([{ topic, records }]), {
          retries: 20,
          maxDelayMs: 5000,
          shouldRetry: (err) => !(err instanceof TypeError || err instanceof RangeError),
          onRetry: options.onRetry,
        });
      } catch (err) {
        for (const span of spans) span.fail(err);
        throw err;
      } finally {
        for (const span of spans) span.end();
      }
    },
    close: () => producer.disconnect(),
  };
}
