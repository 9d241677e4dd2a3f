import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { commonEnv, createLogger, kafkaConnection, loadConfig } from '../src/index.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ service: 'test', destination }) };
}

describe('logger', () => {
  it('never writes SASL or registry passwords, however they are logged', () => {
    const { lines, logger } = capture();
    const config = loadConfig(commonEnv, {
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'duration-svc',
      KAFKA_SASL_PASSWORD: 's3cr3t-kafka',
      SCHEMA_REGISTRY_PASSWORD: 's3cr3t-registry',
    });
    logger.info({ connection: kafkaConnection(config, 'duration') }, 'connecting');
    logger.info({ config }, 'configuration');
    logger.info({ sasl: { password: 's3cr3t-kafka' }, password: 's3cr3t-kafka' }, 'flat');
    logger.info({ headers: { authorization: 'Basic czNjcjN0' } }, 'http');
    const text = lines.join('');
    expect(text).toContain('duration-svc');
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('czNjcjN0');
    expect(text).toContain('[redacted]');
  });

  it('puts the service on every line', () => {
    const { lines, logger } = capture();
    logger.child({ component: 'decision' }).warn('x');
    expect(JSON.parse(lines[0])).toMatchObject({ service: 'test', component: 'decision', msg: 'x' });
  });
});
