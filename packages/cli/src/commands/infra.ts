import { INFRA_USAGE, runInfra } from '@fleet/infra';
import type { Command } from '../command.js';

/** `fleet infra up|down|status|reset`: the local broker and registry without Docker. */
export const infraCommand: Command = {
  name: 'infra',
  summary: 'the local Kafka broker and schema registry: up, down, status, reset (--secure: the SASL_SSL broker)',
  usage: INFRA_USAGE,
  run: (argv) => runInfra(argv),
};
