import { describe, expect, it } from 'vitest';
import { isFleetError } from '@fleet/contract';
import { bool, commonEnv, consumerSettings, int, list, loadConfig, oneOf, serviceEnv, str } from '../src/index.js';

const schema = {
  brokers: list('KAFKA_BROKERS', 'brokers', ['127.0.0.1:9092']),
  batchSize: int('BATCH_SIZE', 'batch size', 500, 1, 10_000),
  ssl: bool('KAFKA_SSL', 'tls', false),
  level: oneOf('LOG_LEVEL', 'level', ['info', 'debug'] as const, 'info'),
  password: str('KAFKA_SASL_PASSWORD', 'secret', ''),
  required: str('MODEL_DIR', 'where the model is'),
};

function fails(env: NodeJS.ProcessEnv): Error {
  try {
    loadConfig(schema, env);
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig(schema, { MODEL_DIR: '/m' });
    expect(config).toEqual({
      brokers: ['127.0.0.1:9092'],
      batchSize: 500,
      ssl: false,
      level: 'info',
      password: '',
      required: '/m',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('parses every kind of value', () => {
    const config = loadConfig(schema, {
      MODEL_DIR: '/m',
      KAFKA_BROKERS: 'a:1, b:2',
      BATCH_SIZE: '42',
      KAFKA_SSL: 'yes',
      LOG_LEVEL: 'debug',
    });
    expect(config.brokers).toEqual(['a:1', 'b:2']);
    expect(config.batchSize).toBe(42);
    expect(config.ssl).toBe(true);
    expect(config.level).toBe('debug');
  });

  it.each([
    [{ BATCH_SIZE: 'many' }, 'BATCH_SIZE'],
    [{ BATCH_SIZE: '0' }, 'BATCH_SIZE'],
    [{ BATCH_SIZE: '1.5' }, 'BATCH_SIZE'],
    [{ KAFKA_SSL: 'maybe' }, 'KAFKA_SSL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ KAFKA_BROKERS: 'a:1,,b:2' }, 'KAFKA_BROKERS'],
  ])('names the bad variable in %o', (env, variable) => {
    const err = fails({ MODEL_DIR: '/m', ...env });
    expect(isFleetError(err, 'FLEET_CONFIG_INVALID')).toBe(true);
    expect(err.message).toContain(variable);
    expect((err as { context?: { variable?: string } }).context?.variable).toBe(variable);
  });

  it('checks that brokers are host:port addresses', () => {
    expect(() => loadConfig(commonEnv, { KAFKA_BROKERS: 'kafka' })).toThrow(
      /KAFKA_BROKERS="kafka" is invalid: expected host:port/,
    );
    expect(loadConfig(commonEnv, { KAFKA_BROKERS: 'a:9092,b.example:19092' }).kafkaBrokers).toEqual([
      'a:9092',
      'b.example:19092',
    ]);
  });

  it('says a required variable is missing', () => {
    expect(fails({}).message).toMatch(/MODEL_DIR is required/);
  });

  it('never echoes a secret value', () => {
    const secretSchema = { port: int('KAFKA_SASL_PASSWORD', 'secret as int', 1) };
    expect(() => loadConfig(secretSchema, { KAFKA_SASL_PASSWORD: 'hunter2' })).toThrow(/<redacted>/);
    expect(() => loadConfig(secretSchema, { KAFKA_SASL_PASSWORD: 'hunter2' })).not.toThrow(/hunter2/);
  });

  it("gives every service's consumer the fetch settings of its environment", () => {
    expect(consumerSettings(loadConfig(serviceEnv, {}))).toEqual({
      sessionTimeoutMs: 30_000,
      partitionsConcurrently: 6,
      minBytes: 1,
      maxWaitTimeMs: 100,
      commitIntervalMs: 200,
    });
    const tuned = loadConfig(serviceEnv, { KAFKA_FETCH_MIN_BYTES: '16384', KAFKA_FETCH_MAX_WAIT_MS: '5' });
    expect(consumerSettings(tuned)).toMatchObject({ minBytes: 16_384, maxWaitTimeMs: 5 });
    expect(() => loadConfig(serviceEnv, { KAFKA_FETCH_MAX_WAIT_MS: '0' })).toThrow(/KAFKA_FETCH_MAX_WAIT_MS/);
  });
});
