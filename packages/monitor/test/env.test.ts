import { describe, expect, it } from 'vitest';
import { consumerSettings, loadConfig, serviceEnv } from '@fleet/core';
import { monitorEnv } from '../src/env.js';

describe('the monitor configuration', () => {
  it('gathers records for each fetch by default, where the ride services fetch at once', () => {
    const monitor = consumerSettings(loadConfig(monitorEnv, {}));
    const rideService = consumerSettings(loadConfig(serviceEnv, {}));
    expect(monitor.minBytes).toBeGreaterThan(rideService.minBytes!);
    expect(monitor.maxWaitTimeMs).toBeGreaterThan(rideService.maxWaitTimeMs!);
  });

  it('takes the fetch settings from the environment like every service, within the same bounds', () => {
    const config = loadConfig(monitorEnv, { KAFKA_FETCH_MIN_BYTES: '1', KAFKA_FETCH_MAX_WAIT_MS: '100' });
    expect(consumerSettings(config)).toMatchObject({ minBytes: 1, maxWaitTimeMs: 100 });
    expect(() => loadConfig(monitorEnv, { KAFKA_FETCH_MAX_WAIT_MS: '0' })).toThrow(/KAFKA_FETCH_MAX_WAIT_MS/);
  });
});
