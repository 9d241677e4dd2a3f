/**
 * The README's configuration table, from the services' env schemas, so the documentation
 * cannot drift from the code (section `config`, written by `npm run docs`).
 */
import { cliEnv } from '@fleet/cli';
import { clientEnv } from '@fleet/client';
import type { EnvField } from '@fleet/core';
import { decisionEnv } from '@fleet/decision';
import { infraEnv } from '@fleet/infra';
import { monitorEnv } from '@fleet/monitor';
import { onlineEnv } from '@fleet/online';
import { modelServiceEnv } from '@fleet/scoring';
import { REPO_ROOT } from './sections.js';

const SERVICES: Array<[string, Record<string, EnvField<unknown>>]> = [
  ['duration, cost, tip', modelServiceEnv('<model>')],
  ['decision', decisionEnv],
  ['monitor', monitorEnv],
  ['online', onlineEnv],
];
const LOCAL_STACK = 'local stack (`infra/`)';
/** What the tools read (listed after the services'). */
const TOOLS: Array<[string, Record<string, EnvField<unknown>>]> = [
  ['`fleet` CLI', cliEnv],
  [LOCAL_STACK, infraEnv],
  ['`@fleet/client`', clientEnv],
];
/** Who "all" means: every service, the CLI and the client (the local stack reads only its own). */
const EVERYONE = [...SERVICES, ...TOOLS].map(([who]) => who).filter((who) => who !== LOCAL_STACK);

function shown(value: unknown): string {
  if (value === undefined) return '(required)';
  const text = Array.isArray(value) ? value.join(',') : String(value);
  return text === '' ? '(empty)' : `\`${text.replace(REPO_ROOT, '')}\``;
}

/** The configuration table as markdown. */
export function configTable(): string {
  const users = new Map<string, { field: EnvField<unknown>; who: string[]; others: string[] }>();
  for (const [who, schema] of [...SERVICES, ...TOOLS]) {
    for (const field of Object.values(schema)) {
      const entry = users.get(field.env) ?? { field, who: [], others: [] };
      entry.who.push(who);
      // A service with a default of its own (the monitor's fetches) is named beside it.
      if (shown(field.default) !== shown(entry.field.default)) entry.others.push(`${who}: ${shown(field.default)}`);
      users.set(field.env, entry);
    }
  }
  const rows = [...users.values()].map(({ field, who, others }) => {
    const missing = EVERYONE.filter((w) => !who.includes(w));
    const usedBy =
      missing.length === 0
        ? 'all'
        : missing.length * 2 < EVERYONE.length
          ? `all but ${missing.join(', ')}`
          : who.join(', ');
    const defaults = [shown(field.default), ...others.map((o) => `(${o})`)].join(' ');
    return `| \`${field.env}\` | ${usedBy} | ${defaults} | ${field.doc} |`;
  });
  return ['| variable | used by | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}
