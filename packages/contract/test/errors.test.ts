import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, FleetError, isRetriable } from '../src/errors.js';

describe('errors', () => {
  it('documents every error code in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const undocumented = Object.keys(ERROR_CODES).filter((code) => !doc.includes(`\`${code}\``));
    expect(undocumented).toEqual([]);
  });

  it('documents no code that does not exist', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/`(FLEET_[A-Z_]+)`/g)].map((m) => m[1]);
    expect(documented.filter((code) => !(code in ERROR_CODES))).toEqual([]);
  });

  it('takes retriability from the code unless overridden', () => {
    expect(new FleetError('FLEET_REGISTRY_UNAVAILABLE', 'x').retriable).toBe(true);
    expect(new FleetError('FLEET_SERDE_DECODE_FAILED', 'x').retriable).toBe(false);
    expect(new FleetError('FLEET_SERDE_DECODE_FAILED', 'x', { retriable: true }).retriable).toBe(true);
  });

  it('classifies foreign errors', () => {
    expect(isRetriable(new TypeError('bug'))).toBe(false);
    expect(isRetriable(new RangeError('bug'))).toBe(false);
    expect(isRetriable(Object.assign(new Error('kafkajs'), { retriable: true }))).toBe(true);
    expect(isRetriable(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isRetriable(new Error('plain'))).toBe(false);
  });

  it('keeps cause and context', () => {
    const cause = new Error('root');
    const err = new FleetError('FLEET_VALIDATION_FAILED', 'bad', { cause, context: { topic: 't', partition: 1 } });
    expect(err.cause).toBe(cause);
    expect(err.context).toEqual({ topic: 't', partition: 1 });
    expect(err.code).toBe('FLEET_VALIDATION_FAILED');
  });
});
