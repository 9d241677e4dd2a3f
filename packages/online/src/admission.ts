import { FleetError } from '@fleet/contract';

/** The bounded queue of the online service: rides admitted and not answered yet. */
export interface Admission {
  /**
   * Admits `rows` rows, or throws FleetError FLEET_OVERLOADED when they would take the
   * queue past its bound. Returns the function that releases them (call it once).
   */
  admit(rows: number): () => void;
  /** Rows admitted and not released. */
  readonly queuedRows: number;
  /** The most rows that were ever admitted at once (never above the bound). */
  readonly peakQueuedRows: number;
}

/** A queue bound of `maxRows` rows; `retryAfterSec` goes into the error's context. */
export function createAdmission(maxRows: number, retryAfterSec: number): Admission {
  let queued = 0;
  let peak = 0;
  return {
    admit(rows) {
      if (queued + rows > maxRows) {
        throw new FleetError(
          'FLEET_OVERLOADED',
          `the queue holds ${queued} of at most ${maxRows} rides; ${rows} more do not fit: retry after ${retryAfterSec} s`,
          { context: { queuedRows: queued, maxQueuedRows: maxRows, retryAfterSec } },
        );
      }
      queued += rows;
      peak = Math.max(peak, queued);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        queued -= rows;
      };
    },
    get queuedRows() {
      return queued;
    },
    get peakQueuedRows() {
      return peak;
    },
  };
}
