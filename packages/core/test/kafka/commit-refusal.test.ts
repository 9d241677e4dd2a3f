import { describe, expect, it } from 'vitest';
import { commitRefusal, createMembershipWatch } from '../../src/kafka/kafkajs-client.js';

const stale = Object.assign(new Error('Specified group generation id is not valid'), { type: 'ILLEGAL_GENERATION' });
const unknown = Object.assign(new Error('The coordinator is not aware of this member'), { type: 'UNKNOWN_MEMBER_ID' });
// kafkajs' retrier wraps the protocol error, keeping its message.
const wrapped = Object.assign(new Error('Specified group generation id is not valid'), {
  name: 'KafkaJSNonRetriableError',
});

/** A watch of a member that joined once, as a running consumer has. */
function joinedWatch() {
  const watch = createMembershipWatch();
  watch.joined();
  return watch;
}

describe('a refused commit (kafkajs seam)', () => {
  it('says whether the member or only the generation was refused, wrapped or not', () => {
    expect(commitRefusal(unknown)).toBe('member');
    expect(commitRefusal(stale)).toBe('generation');
    expect(commitRefusal(wrapped)).toBe('generation');
    expect(commitRefusal(new Error('broker away'))).toBeUndefined();
  });

  it('takes an unknown member as out of the group at once, and says so once', () => {
    const watch = joinedWatch();
    watch.refused(watch.sent(), unknown);
    expect(watch.takeLost()).toBe(true);
    expect(watch.takeLost()).toBe(false);
  });

  it('takes a refusal that is not about the membership as nothing', () => {
    const watch = joinedWatch();
    watch.refused(watch.sent(), new Error('broker away'));
    expect(watch.takeLost()).toBe(false);
  });

  // Regression (fault suite, "model call > session timeout"): a commit that went out while the
  // group rebalanced got ILLEGAL_GENERATION, the member forced a rejoin, which made the other
  // members' commits stale in turn: seven rebalances instead of one.
  it('takes one stale generation as a commit sent during a rebalance, two in a row as out', () => {
    const watch = joinedWatch();
    watch.refused(watch.sent(), stale);
    expect(watch.takeLost()).toBe(false);
    watch.committed();
    watch.refused(watch.sent(), wrapped);
    expect(watch.takeLost()).toBe(false);
    watch.refused(watch.sent(), stale);
    expect(watch.takeLost()).toBe(true);
  });

  // Regression (fault suite, "broker SIGSTOP 30 s"): after the freeze, kafkajs rejoined on its
  // own; the refusal of a commit sent before that join then forced a second rejoin, the broker
  // kept the abandoned member until its session ran out, and the consumer stalled for a
  // session timeout again and again.
  it('ignores the refusal of a commit sent before the group was joined again', () => {
    const watch = joinedWatch();
    const before = watch.sent();
    watch.joined();
    watch.refused(before, unknown);
    expect(watch.takeLost()).toBe(false);
    watch.refused(before, stale);
    watch.refused(before, stale);
    expect(watch.takeLost()).toBe(false);
  });

  it('forgets a loss once the group is joined again', () => {
    const watch = joinedWatch();
    watch.refused(watch.sent(), unknown);
    watch.joined();
    expect(watch.takeLost()).toBe(false);
  });
});
