/**
 * Kafka's own perf tools (org.apache.kafka.tools.ProducerPerformance / ConsumerPerformance
 * from kafka-tools, resolved through infra/kafka/perf-pom.xml and cached under .fleet/),
 * run with the same Java as the broker: the broker's ceiling on this machine.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadInfraConfig, VERSIONS } from '@fleet/infra';
import { cachedClasspath } from '../../infra/src/maven.js';
import { findKafkaJava } from '../../infra/src/toolchain.js';

/** The kafka-tools runtime classpath (Maven once, then cached beside the broker's). */
function perfClasspath(say: (line: string) => void): Promise<string> {
  const config = loadInfraConfig();
  return cachedClasspath({
    pom: join(config.infraDir, 'kafka', 'perf-pom.xml'),
    cacheDir: join(config.stateDir, 'kafka'),
    cacheName: `perf-classpath-${VERSIONS.kafka}`,
    what: `kafka-tools ${VERSIONS.kafka} (perf tools)`,
    onProgress: say,
  });
}

function runJava(cp: string, mainClass: string, args: string[], timeoutMs: number): Promise<string> {
  const config = loadInfraConfig();
  const java = findKafkaJava().bin;
  const log4j = `-Dlog4j2.configurationFile=${join(config.infraDir, 'kafka', 'log4j2.properties')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(java, ['-Xmx512m', log4j, '-cp', cp, mainClass, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${mainClass} exited with ${code}:\n${out.slice(-2000)}`));
    });
  });
}

/** What the producer perf tool reports. */
export interface ProducerPerf {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  p99LatencyMs: number;
}

/** What the consumer perf tool reports. */
export interface ConsumerPerf {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  /** Fetch-only rate (excludes the group join). */
  fetchRecordsPerSec: number;
}

/** Producer perf: `records` of `recordSize` bytes, acks=all, unthrottled. */
export async function producerPerf(
  brokers: string,
  topic: string,
  records: number,
  recordSize: number,
  say: (line: string) => void,
): Promise<ProducerPerf> {
  const cp = await perfClasspath(say);
  const out = await runJava(
    cp,
    'org.apache.kafka.tools.ProducerPerformance',
    [
      '--bootstrap-server',
      brokers,
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--record-size',
      String(recordSize),
      '--throughput',
      '-1',
      '--command-property',
      'acks=all',
    ],
    300_000,
  );
  // "200000 records sent, 150000.0 records/sec (21.46 MB/sec), 12.3 ms avg latency, 300.0 ms max latency, 10 ms 50th, 40 ms 95th, 60 ms 99th, 70 ms 99.9th."
  const m =
    /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency.*?, (\d+) ms 99th/.exec(
      out,
    );
  if (!m) throw new Error(`unexpected ProducerPerformance output:\n${out.slice(-1500)}`);
  return {
    records: Number(m[1]),
    recordsPerSec: Number(m[2]),
    mbPerSec: Number(m[3]),
    avgLatencyMs: Number(m[4]),
    p99LatencyMs: Number(m[5]),
  };
}

/** Consumer perf: reads `records` from `topic` in a fresh group. */
export async function consumerPerf(
  brokers: string,
  topic: string,
  records: number,
  group: string,
  say: (line: string) => void,
): Promise<ConsumerPerf> {
  const cp = await perfClasspath(say);
  const out = await runJava(
    cp,
    'org.apache.kafka.tools.ConsumerPerformance',
    [
      '--bootstrap-server',
      brokers,
      '--topic',
      topic,
      '--num-records',
      String(records),
      '--group',
      group,
      '--timeout',
      '30000',
      '--hide-header',
    ],
    300_000,
  );
  // start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
  const line = out
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^\d{4}-\d\d-\d\d .*,/.test(l));
  if (!line) throw new Error(`unexpected ConsumerPerformance output:\n${out.slice(-1500)}`);
  const f = line.split(',').map((s) => s.trim());
  return {
    records: Number(f[4]),
    recordsPerSec: Number(f[5]),
    mbPerSec: Number(f[3]),
    fetchRecordsPerSec: Number(f[9]),
  };
}
