import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// kafkajs 2.2.4 builds a new consumer group when its consumer restarts after a crash (a
// broker away, a coordinator still loading), and the new group joins as a new member. A
// coordinator back from a restart still holds the old member, so that join waited for the
// old session to run out (the session timeout, 10 s in the fault suite) before the group
// could rebalance. The project patches kafkajs (patches/kafkajs+2.2.4.patch) to rejoin with
// the member id it had; the broker faults of the fault suite exercise it, and this checks
// the installed copy is the patched one.
const require = createRequire(import.meta.url);
const source = readFileSync(require.resolve('kafkajs/src/consumer/index.js'), 'utf8');

describe("kafkajs's consumer restart (patched)", () => {
  it('is the patched copy: postinstall ran patch-package', () => {
    expect(source).toContain('Patched by the fleet');
  });

  it('passes the member id the crashed group held to the restart', () => {
    expect(source).toMatch(/const rejoinAs = crashedGroup \? crashedGroup\.memberId : null/);
    expect(source).toMatch(/start\(onCrash, rejoinAs\)/);
    expect(source).toMatch(/consumerGroup\.memberId = memberId/);
  });
});
