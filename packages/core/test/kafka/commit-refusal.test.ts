import { describe, expect, it } from 'vitest';
import { commitRefusal, createRefusalCount } from '../../src/kafka/kafkajs-client.js';

const stale = Object.assign(new Error('Specified group generation id is not valid'), { type: 'ILLEGAL_GENERATION' });
const unknown = Object.assign(new Error('The coordinator is not aware of this member'), { type: 'UNKNOWN_MEMBER_ID' });
// kafkajs' retrier wraps the protocol error, keeping its message.
const wrapped = Object.assign(new Error('Specified group generation id is not valid'), {
  name: 'KafkaJSNonRetriableError',
});

describe('a refused commit (kafkajs seam)', () => {
  it('says whether the member or only the generation was refused, wrapped or not', () => {
    expect(commitRefusal(unknown)).toBe('member');
    expect(commitRefusal(stale)).toBe('generation');
    expect(commitRefusal(wrapped)).toBe('generation');
    expect(commitRefusal(new Error('broker away'))).toBeUndefined();
  });

  it('takes an unknown member as out of the group at once', () => {
    expect(createRefusalCount().refused(unknown)).toBe(true);
  });

  // Regression (fault suite, "model call > session timeout"): a commit that went out while the
  // group rebalanced got ILLEGAL_GENERATION, the member forced a rejoin, which made the other
  // members' commits stale in turn: seven rebalances instead of one.
  it('takes one stale generation as a commit sent during a rebalance, two in a row as out', () => {
    const count = createRefusalCount();
    expect(count.refused(stale)).toBe(false);
    count.committed();
    expect(count.refused(wrapped)).toBe(false);
    expect(count.refused(stale)).toBe(true);
  });
});
