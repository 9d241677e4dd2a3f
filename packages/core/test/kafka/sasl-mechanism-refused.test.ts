// Regression tests: a broker refusing the SASL mechanism (UNSUPPORTED_SASL_MECHANISM), or a
// listener that takes no SASL at all (ILLEGAL_SASL_STATE), used to read "check
// KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD", which no user or password can fix.
import { describe, expect, it } from 'vitest';
import kafkajs from 'kafkajs';
import { AuthenticationError, MultipleErrors, ProtocolError } from '@platformatic/kafka';
import { isFleetError, type FleetError } from '@fleet/contract';
import { createAccessLog, accessError } from '../../src/kafka/kafkajs-access.js';
import { toFleetError } from '../../src/kafka/platformatic-errors.js';
import type { KafkaConnection } from '../../src/kafka/types.js';

const connection: KafkaConnection = {
  client: 'kafkajs',
  brokers: ['127.0.0.1:9094'],
  clientId: 'test',
  sasl: { mechanism: 'scram-sha-256', username: 'duration', password: 'hunter2' },
};

/** kafkajs' error classes as they are at runtime (its typings leave out what they take). */
const errors = kafkajs as unknown as {
  KafkaJSNonRetriableError: new (e: Error, options: { cause: Error }) => Error;
  KafkaJSProtocolError: new (e: { type: string; code: number; retriable: boolean; message: string }) => Error;
  KafkaJSSASLAuthenticationError: new (message: string) => Error;
};

/** What the kafkajs seam makes of `err`: kafkajs' retrier wraps the broker's answer. */
function viaKafkajs(err: Error): FleetError | undefined {
  const wrapped = new errors.KafkaJSNonRetriableError(err, { cause: err });
  return accessError(wrapped, 'connect an admin client', connection, createAccessLog());
}

/** What the platformatic seam makes of a refused handshake: the library's AuthenticationError around the answer. */
function viaPlatformatic(answer: string): FleetError {
  const handshake = new AuthenticationError('Cannot find a suitable SASL mechanism.', {
    cause: new ProtocolError(answer),
  });
  return toFleetError(new MultipleErrors('Cannot connect to any broker.', [handshake]), 'connect', 'duration');
}

const protocolError = (type: string, code: number) =>
  new errors.KafkaJSProtocolError({ type, code, retriable: false, message: type });

describe('a refused SASL mechanism', () => {
  it('names KAFKA_SASL_MECHANISM and what the local secure broker offers, not the credentials (kafkajs)', () => {
    const err = viaKafkajs(protocolError('UNSUPPORTED_SASL_MECHANISM', 33));
    expect(isFleetError(err, 'FLEET_KAFKA_AUTH_FAILED')).toBe(true);
    expect(err?.message).toBe(
      'the broker does not enable SASL mechanism SCRAM-SHA-256 on this listener (UNSUPPORTED_SASL_MECHANISM): ' +
        'set KAFKA_SASL_MECHANISM to one it enables (the local secure broker offers only scram-sha-512), ' +
        'and check that KAFKA_BROKERS is its SASL listener',
    );
    expect(err?.context).toEqual({ variable: 'KAFKA_SASL_MECHANISM' });
    expect(err?.message).not.toMatch(/KAFKA_SASL_USERNAME|KAFKA_SASL_PASSWORD|hunter2/);
  });

  it("is recognised when kafkajs finds the mechanism missing from the handshake's list itself", () => {
    const own = new errors.KafkaJSSASLAuthenticationError(
      'SASL SCRAM-SHA-256 mechanism is not supported by the server',
    );
    expect(viaKafkajs(own)?.message).toMatch(/^the broker does not enable SASL mechanism SCRAM-SHA-256/);
  });

  it('on a listener without SASL says so and how to fix it (kafkajs)', () => {
    const err = viaKafkajs(protocolError('ILLEGAL_SASL_STATE', 34));
    expect(isFleetError(err, 'FLEET_KAFKA_AUTH_FAILED')).toBe(true);
    expect(err?.message).toMatch(
      /^the listener at KAFKA_BROKERS did not expect SASL mechanism SCRAM-SHA-256 \(ILLEGAL_SASL_STATE\): it is likely not a SASL listener; .*KAFKA_SASL_MECHANISM=none/,
    );
  });

  it('gets the same messages from the platformatic seam, whose AuthenticationError wraps the answer', () => {
    const unsupported = viaPlatformatic('UNSUPPORTED_SASL_MECHANISM');
    expect(isFleetError(unsupported, 'FLEET_KAFKA_AUTH_FAILED')).toBe(true);
    expect(unsupported.message).toMatch(
      /^the broker does not enable the SASL mechanism .*KAFKA_SASL_MECHANISM .*scram-sha-512/,
    );
    expect(unsupported.message).not.toMatch(/KAFKA_SASL_USERNAME/);
    expect(viaPlatformatic('ILLEGAL_SASL_STATE').message).toMatch(/not a SASL listener/);
  });

  it('leaves wrong credentials to the message about the user name and password', () => {
    const wrong = viaKafkajs(protocolError('SASL_AUTHENTICATION_FAILED', 58));
    expect(wrong?.message).toMatch(/user "duration".*check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
    const plt = toFleetError(new ProtocolError('SASL_AUTHENTICATION_FAILED'), 'connect', 'duration');
    expect(plt.message).toMatch(/check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD/);
  });
});
