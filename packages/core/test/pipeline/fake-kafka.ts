import type {
  BatchControl,
  ConsumerClient,
  ConsumerOptions,
  KafkaClient,
  OutgoingRecord,
  ProducerClient,
  RecordBatch,
} from '../../src/kafka/types.js';

/** A consumer of {@link drivenKafka}: the test joins it, crashes it and hands it batches. */
export interface DrivenConsumer extends ConsumerClient {
  readonly options: ConsumerOptions;
  /** A group join, as the client reports it. @default memberId 'm1' */
  join(assignment: Record<string, number[]>, memberId?: string): void;
  /** A crash, as the client reports it; `restarting`: the client rejoins by itself. */
  crash(restarting: boolean, err?: unknown): void;
  /** Hands `batch` to the handler given to `run()`; settles as the handler does. */
  deliver(batch: RecordBatch): Promise<void>;
}

/** Options of {@link drivenKafka}. */
export interface DrivenKafkaOptions {
  /**
   * What each consumer joins with when it runs (as kafkajs' `run()` resolves once joined).
   * @default no join
   */
  joinOnRun?: Record<string, number[]>;
  /** Stands between the service and each producer made (`n` counts from 0), to hold one back. */
  producer?: (made: ProducerClient, n: number) => Promise<ProducerClient>;
}

/** A client stand-in driven by the test, with what the service did with it. */
export interface DrivenKafka {
  readonly kafka: KafkaClient;
  /** Every consumer made, in order. */
  readonly consumers: DrivenConsumer[];
  /** What the producers sent (non-empty batches only), in order. */
  readonly sent: Array<{ topic: string; records: readonly OutgoingRecord[] }>;
  /** `producer`, `consumer`, `run`, `stop`, `disconnect consumer`, `disconnect producer`, `commit <offset>`. */
  readonly calls: string[];
}

/** A {@link KafkaClient} whose consumers the test drives; `readPartition` finds nothing. */
export function drivenKafka(options: DrivenKafkaOptions = {}): DrivenKafka {
  const consumers: DrivenConsumer[] = [];
  const sent: DrivenKafka['sent'] = [];
  const calls: string[] = [];
  let producers = 0;

  function makeProducer(): ProducerClient {
    return {
      send: (batches) => {
        for (const b of batches) if (b.records.length > 0) sent.push(b);
        return Promise.resolve();
      },
      prepare: () => Promise.resolve(),
      disconnect: () => {
        calls.push('disconnect producer');
        return Promise.resolve();
      },
    };
  }

  function makeConsumer(consumerOptions: ConsumerOptions): DrivenConsumer {
    let handler: ((batch: RecordBatch, control: BatchControl) => Promise<void>) | undefined;
    const control: BatchControl = {
      heartbeat: () => Promise.resolve(),
      isStale: () => false,
      commit: (offset) => {
        calls.push(`commit ${offset}`);
        return Promise.resolve();
      },
    };
    const consumer: DrivenConsumer = {
      options: consumerOptions,
      join: (assignment, memberId = 'm1') => consumerOptions.onGroupJoin?.(assignment, memberId),
      crash: (restarting, err = new Error('the consumer crashed')) => consumerOptions.onCrash?.(err, restarting),
      deliver: (batch) => {
        if (!handler) throw new Error('deliver before run()');
        return handler(batch, control);
      },
      run: (_topics, h) => {
        calls.push('run');
        handler = h;
        if (options.joinOnRun) consumer.join(options.joinOnRun);
        return Promise.resolve();
      },
      stop: () => {
        calls.push('stop');
        return Promise.resolve();
      },
      disconnect: () => {
        calls.push('disconnect consumer');
        return Promise.resolve();
      },
    };
    return consumer;
  }

  const kafka: KafkaClient = {
    producer: () => {
      calls.push('producer');
      const made = makeProducer();
      return options.producer ? options.producer(made, producers++) : Promise.resolve(made);
    },
    consumer: (consumerOptions) => {
      calls.push('consumer');
      const made = makeConsumer(consumerOptions);
      consumers.push(made);
      return Promise.resolve(made);
    },
    admin: () => Promise.reject(new Error('no admin in this fake')),
    readPartition: () => Promise.resolve(0),
  };
  return { kafka, consumers, sent, calls };
}
