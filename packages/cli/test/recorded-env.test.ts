import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordedOverrides, recordEnv, stackFileIn, withRecordedFleet } from '../src/config.js';

describe('the configuration fleet up records for the instances started later', () => {
  const up = {
    KAFKA_BROKERS: 'b:9092',
    TOPIC_RIDES: 'rides_v2',
    FLEET_GROUP_PREFIX: 'staging',
    KAFKA_SASL_PASSWORD: 's3cret',
    HOME: '/root',
    MODEL_VERSION: '2.0.0',
  };

  it('keeps the fleet variables, and of a secret only its hash', () => {
    const recorded = recordEnv(up);
    expect(recorded.values).toEqual({
      KAFKA_BROKERS: 'b:9092',
      TOPIC_RIDES: 'rides_v2',
      FLEET_GROUP_PREFIX: 'staging',
    });
    expect(Object.keys(recorded.secrets)).toEqual(['KAFKA_SASL_PASSWORD']);
    expect(JSON.stringify(recorded)).not.toContain('s3cret');
  });

  it("gives a later instance fleet up's values, whatever another shell exports", () => {
    const recorded = recordEnv(up);
    // Another shell: no prefix, another topic, a variable fleet up did not have.
    const shell = { KAFKA_SASL_PASSWORD: 's3cret', TOPIC_RIDES: 'ride_started', TOPIC_DECISIONS: 'other' };
    expect(recordedOverrides(recorded, shell)).toEqual({
      TOPIC_DECISIONS: '',
      KAFKA_BROKERS: 'b:9092',
      TOPIC_RIDES: 'rides_v2',
      FLEET_GROUP_PREFIX: 'staging',
    });
  });

  it('refuses a secret other than the one fleet up ran with, naming it', () => {
    const recorded = recordEnv(up);
    expect(() => recordedOverrides(recorded, {})).toThrow(/KAFKA_SASL_PASSWORD differ/);
    expect(() => recordedOverrides(recorded, { KAFKA_SASL_PASSWORD: 'other' })).toThrow(/KAFKA_SASL_PASSWORD/);
    expect(() => recordedOverrides(recordEnv({}), { SCHEMA_REGISTRY_PASSWORD: 'x' })).toThrow(
      /SCHEMA_REGISTRY_PASSWORD/,
    );
  });
});

describe("the CLI's commands while a fleet is up", () => {
  it("reach fleet up's cluster, topics and groups from a shell that names no cluster", () => {
    const stateDir = mkdtempSync(`${tmpdir()}/fleet-state-`);
    try {
      const file = stackFileIn(stateDir);
      mkdirSync(dirname(file), { recursive: true });
      const env = recordEnv({ FLEET_GROUP_PREFIX: 'staging', TOPIC_RIDES: 'rides_v2' });
      writeFileSync(file, JSON.stringify({ brokers: 'b:19092', registryUrl: 'http://r', startedByUp: [], env }));
      const shell = { FLEET_STATE_DIR: stateDir, TOPIC_RIDES: 'ride_started' };
      expect(withRecordedFleet(shell)).toMatchObject({
        KAFKA_BROKERS: 'b:19092',
        SCHEMA_REGISTRY_URL: 'http://r',
        FLEET_GROUP_PREFIX: 'staging',
        TOPIC_RIDES: 'rides_v2',
      });
      // A shell that names a cluster is taken at its word.
      const named = { ...shell, KAFKA_BROKERS: 'elsewhere:9092' };
      expect(withRecordedFleet(named)).toBe(named);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
