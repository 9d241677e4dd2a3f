// Regression tests of the Kafka security settings that used to be accepted silently: PLAIN
// without TLS, SASL credentials with mechanism none, an unreadable CA file (a raw ENOENT).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { isFleetError } from '@fleet/contract';
import {
  checkKafkaSecurity,
  commonEnv,
  createLogger,
  kafkaConnection,
  loadConfig,
  processParts,
  securityWarnings,
  type KafkaClient,
  type Registry,
} from '../src/index.js';

const config = (env: NodeJS.ProcessEnv) => loadConfig(commonEnv, env);

/** The FLEET_CONFIG_INVALID `kafkaConnection` throws for `env`. */
function refused(env: NodeJS.ProcessEnv): Error & { context?: Record<string, unknown> } {
  try {
    kafkaConnection(config(env), 'test');
  } catch (err) {
    expect(isFleetError(err, 'FLEET_CONFIG_INVALID'), String(err)).toBe(true);
    return err as Error;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

function caFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'fleet-ca-')), 'ca.pem');
  writeFileSync(file, '-----BEGIN CERTIFICATE-----\n');
  return file;
}

const scram = { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'duration', KAFKA_SASL_PASSWORD: 'pw-1' };

describe('Kafka security settings', () => {
  it('refuses PLAIN without TLS, naming what to set', () => {
    const err = refused({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'hunter2' });
    expect(err.message).toMatch(/KAFKA_SASL_MECHANISM=plain .*clear text.*KAFKA_SSL=true/);
    expect(err.message).not.toContain('hunter2');
    const plain = { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' };
    expect(kafkaConnection(config({ ...plain, KAFKA_SSL: 'true' }), 't').ssl).toBe(true);
    expect(kafkaConnection(config({ ...plain, KAFKA_SSL_CA_FILE: caFile() }), 't').sasl?.mechanism).toBe('plain');
  });

  it('refuses a SASL user or password with mechanism none, naming the variables and what to do', () => {
    const both = refused({ KAFKA_SASL_USERNAME: 'duration', KAFKA_SASL_PASSWORD: 'hunter2' });
    expect(both.message).toMatch(
      /^KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are set but KAFKA_SASL_MECHANISM is none.*set KAFKA_SASL_MECHANISM .*or unset them/,
    );
    expect(both.message).not.toContain('hunter2');
    expect(refused({ KAFKA_SASL_PASSWORD: 'hunter2' }).message).toMatch(/^KAFKA_SASL_PASSWORD is set but/);
    expect(refused({ KAFKA_SASL_USERNAME: 'duration' }).context).toEqual({ variable: 'KAFKA_SASL_USERNAME' });
  });

  it('refuses a mechanism without both credentials (an optional Secret key left out, say)', () => {
    const err = refused({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SSL: 'true', KAFKA_SASL_USERNAME: 'tip' });
    expect(err.message).toMatch(/^KAFKA_SASL_MECHANISM=scram-sha-512 needs .*KAFKA_SASL_PASSWORD is not set/);
  });

  it('turns a CA file that cannot be read into an error naming the variable and the path', () => {
    const missing = join(tmpdir(), 'fleet-no-such-dir', 'ca.pem');
    const err = refused({ ...scram, KAFKA_SSL_CA_FILE: missing });
    expect(err.message).toContain(`KAFKA_SSL_CA_FILE=${missing} cannot be read (ENOENT)`);
    expect(err.context).toEqual({ variable: 'KAFKA_SSL_CA_FILE' });
    expect(refused({ KAFKA_SSL_CA_FILE: tmpdir() }).message).toContain('(EISDIR)');
  });

  it('accepts what the local stacks use: nothing (plain broker), SCRAM over TLS with a CA (secure broker)', () => {
    expect(() => checkKafkaSecurity(config({}))).not.toThrow();
    const ca = caFile();
    // infra's secureClientEnv: KAFKA_SSL, KAFKA_SSL_CA_FILE, SCRAM-SHA-512 and a user.
    const secure = kafkaConnection(config({ ...scram, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: ca }), 'duration');
    expect(secure.ssl).toEqual({ ca: '-----BEGIN CERTIFICATE-----\n' });
    expect(securityWarnings(config({ ...scram, KAFKA_SSL_CA_FILE: ca }))).toEqual([]);
    expect(securityWarnings(config({}))).toEqual([]);
  });

  it('accepts SCRAM without TLS and a registry password over http://, each with a warning', () => {
    expect(() => kafkaConnection(config(scram), 't')).not.toThrow();
    expect(securityWarnings(config(scram))).toEqual([
      expect.stringMatching(/^KAFKA_SASL_MECHANISM=scram-sha-512 without TLS/),
    ]);
    const registry = { SCHEMA_REGISTRY_USERNAME: 'u', SCHEMA_REGISTRY_PASSWORD: 'hunter2' };
    const overHttp = securityWarnings(config({ ...registry, SCHEMA_REGISTRY_URL: 'http://registry:8081' }));
    expect(overHttp).toEqual([expect.stringMatching(/SCHEMA_REGISTRY_PASSWORD .*http:\/\/ SCHEMA_REGISTRY_URL/)]);
    expect(overHttp.join()).not.toContain('hunter2');
    expect(securityWarnings(config({ ...registry, SCHEMA_REGISTRY_URL: 'https://registry:8081' }))).toEqual([]);
  });

  it('a process logs each warning once, at start', () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    processParts('duration', commonEnv, {
      env: { ...scram, SCHEMA_REGISTRY_PASSWORD: 'hunter2', SCHEMA_REGISTRY_URL: 'http://registry:8081' },
      logger: createLogger({ service: 'duration', destination }),
      kafka: {} as KafkaClient,
      registry: {} as Registry,
    });
    const warnings = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40);
    expect(warnings.map((w) => w.msg)).toEqual(securityWarnings(config({ ...scram, SCHEMA_REGISTRY_PASSWORD: 'x' })));
  });
});
