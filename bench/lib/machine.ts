/** Machine and software versions recorded with the figures. */
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { VERSIONS } from '@fleet/infra';

const require = createRequire(import.meta.url);

function pkgVersion(name: string): string {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** What ran the bench. */
export function machineInfo() {
  let loadavg = '';
  try {
    loadavg = readFileSync('/proc/loadavg', 'utf8').trim();
  } catch {
    // not Linux
  }
  return {
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      kernel: release(),
      loadavgAtStart: loadavg,
    },
    versions: {
      node: process.versions.node,
      kafka: VERSIONS.kafka,
      kafkajs: pkgVersion('kafkajs'),
      onnxruntimeNode: pkgVersion('onnxruntime-node'),
      avsc: pkgVersion('avsc'),
    },
  };
}
