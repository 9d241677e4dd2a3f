/** What a bench run measures and how much: the full run, or `--quick` (under 3 minutes). */
import type { OnlinePlan } from '../sections/online.js';

/** Stages that `--only` can pick. */
export const STAGES = ['ceilings', 'alt', 'services', 'inference', 'fleet', 'tuning', 'peer', 'online'] as const;
/** One stage. */
export type Stage = (typeof STAGES)[number];

/** Sizes of one run. */
export interface Plan {
  quick: boolean;
  stages: Stage[];
  /** Rides pre-filled for the ceilings and the model services alone. */
  rides: number;
  /** Records of Kafka's own perf tools. */
  perfToolRecords: number;
  /** Record size of Kafka's own perf tools, bytes. */
  perfToolRecordSize: number;
  inferenceBatches: number[];
  onnxThreads: number[];
  /** Time per inference/serde point, ms. */
  msPerPoint: number;
  fleetRates: number[];
  fleetStepSec: number;
  /**
   * Seconds of traffic before the fleet's first measured rate (JIT, caches, connections).
   * Full runs: 30. After 10, the services' compilers were still at work during the first
   * rate (200 rides/s in the tuning stage): more CPU per ride and a longer tail there than
   * after 20, in alternating pairs by hand.
   */
  fleetWarmupSec: number;
  /** Extra offered rates tried to narrow the highest sustained rate. */
  fleetSearchSteps: number;
  /** partitionsConsumedConcurrently values of the kafkajs pipe experiment. */
  tunePcc: number[];
  /** Offered rates of the fleet run on 1-partition topics (tuning). */
  tuneFleetRates: number[];
  /** Offered rates of the fleet with default vs batched fetches and commits (tuning), and its warm-up. */
  tuneBatching: { rates: number[]; warmupSec: number };
  /** Ours against the Python peer: offered rates, seconds per rate, the warm-up before them. */
  peer: { rates: number[]; stepSec: number; warmupPerSec: number; warmupSec: number };
  /** The online service against its ceiling and its peer (HTTP). */
  online: OnlinePlan;
}

/** The plan of a full or quick run. */
export function makePlan(quick: boolean, stages: Stage[]): Plan {
  return quick
    ? {
        quick,
        stages,
        rides: 50_000,
        perfToolRecords: 200_000,
        perfToolRecordSize: 150,
        inferenceBatches: [1, 10, 100, 1000],
        onnxThreads: [1],
        msPerPoint: 150,
        fleetRates: [500, 1000, 2000],
        fleetStepSec: 4,
        fleetWarmupSec: 2,
        fleetSearchSteps: 0,
        tunePcc: [6],
        tuneFleetRates: [1000],
        tuneBatching: { rates: [1000], warmupSec: 2 },
        peer: { rates: [200, 1000], stepSec: 3, warmupPerSec: 500, warmupSec: 2 },
        online: { connections: 32, rounds: 1, ratePerSec: 1000, warmupSec: 1, saturatedSec: 3, rateSec: 3 },
      }
    : {
        quick,
        stages,
        rides: 200_000,
        perfToolRecords: 1_000_000,
        perfToolRecordSize: 150,
        inferenceBatches: [1, 10, 100, 1000],
        onnxThreads: [1, 2],
        msPerPoint: 1000,
        fleetRates: [500, 1000, 2000, 5000],
        fleetStepSec: 15,
        fleetWarmupSec: 30,
        fleetSearchSteps: 4,
        tunePcc: [3, 6],
        tuneFleetRates: [1000, 2000, 5000],
        tuneBatching: { rates: [200, 1000], warmupSec: 30 },
        peer: { rates: [200, 1000], stepSec: 20, warmupPerSec: 500, warmupSec: 30 },
        online: { connections: 32, rounds: 5, ratePerSec: 1000, warmupSec: 3, saturatedSec: 4, rateSec: 10 },
      };
}
