import { EventEmitter } from 'node:events';
import type { GroupAssignment } from '@platformatic/kafka';

/**
 * A stand-in for @platformatic/kafka's MessagesStream: it hands over records as 'data'
 * events, one per record, in the library's `Message` shape.
 */
export class FakeStream extends EventEmitter {
  #paused = false;
  closed = false;

  pause(): this {
    this.#paused = true;
    return this;
  }

  resume(): this {
    this.#paused = false;
    return this;
  }

  isPaused(): boolean {
    return this.#paused;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** What one fetch answer of `topic`/`partition` brings: a 'data' event per offset. */
  deliver(topic: string, partition: number, offsets: readonly number[]): void {
    for (const offset of offsets) {
      this.emit('data', {
        topic,
        partition,
        offset: BigInt(offset),
        key: Buffer.from(`k${offset}`),
        value: Buffer.from(`v${offset}`),
        headers: new Map<Buffer, Buffer>(),
        timestamp: 0n,
      });
    }
  }

  /** As the library's stream when a fetch failed for good: `destroy(error)`, 'error' then 'close'. */
  fail(err: Error): void {
    this.emit('error', err);
    this.emit('close');
  }
}

/**
 * A stand-in for @platformatic/kafka's group Consumer. Like the library, the first
 * `consume()` joins the group (emitting `consumer:group:join` with the assignment) before it
 * resolves; `join()` is a later rebalance. `consumeOutcomes` and `commitOutcomes` script
 * the errors of the next calls.
 */
export class FakeConsumer extends EventEmitter {
  static readonly instances: FakeConsumer[] = [];
  generationId = 0;
  memberId: string | null = null;
  assignments: GroupAssignment[] | null = null;
  /** The assignment of the join the first `consume()` makes. */
  firstAssignment: Record<string, number[]> = {};
  readonly streams: FakeStream[] = [];
  consumeCalls = 0;
  readonly consumeOutcomes: Error[] = [];
  readonly commits: Array<Array<{ topic: string; partition: number; offset: bigint }>> = [];
  readonly commitOutcomes: Array<Error | undefined> = [];

  constructor(readonly options: unknown) {
    super();
    FakeConsumer.instances.push(this);
  }

  static last(): FakeConsumer {
    return FakeConsumer.instances[FakeConsumer.instances.length - 1];
  }

  isActive(): boolean {
    return this.memberId !== null;
  }

  /** A (re)join: the new generation and assignment are set, then the event is emitted. */
  join(assignment: Record<string, number[]>, memberId = 'member-1'): void {
    this.memberId = memberId;
    this.generationId++;
    this.assignments = Object.entries(assignment).map(([topic, partitions]) => ({ topic, partitions }));
    this.emit('consumer:group:join', {
      groupId: 'g',
      memberId,
      generationId: this.generationId,
      isLeader: true,
      assignments: this.assignments,
    });
  }

  consume(): Promise<FakeStream> {
    this.consumeCalls++;
    const err = this.consumeOutcomes.shift();
    if (err) return Promise.reject(err);
    if (this.memberId === null) this.join(this.firstAssignment);
    const stream = new FakeStream();
    this.streams.push(stream);
    return Promise.resolve(stream);
  }

  metadata({ topics }: { topics: string[] }): Promise<{ topics: Map<string, { id: string }> }> {
    return Promise.resolve({ topics: new Map(topics.map((t) => [t, { id: `${t}-id` }])) });
  }

  commit({ offsets }: { offsets: Array<{ topic: string; partition: number; offset: bigint }> }): Promise<void> {
    this.commits.push(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
    const err = this.commitOutcomes.shift();
    return err ? Promise.reject(err) : Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
