// Checks the commands deploy/k8s/README.md tells an operator to run, and what it says a
// cluster needs, against what the manifests and the fleet need. Reads files only: needs
// neither a broker nor kubectl.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commonEnv } from '@fleet/core';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const K8S_DIR = join(REPO_ROOT, 'deploy', 'k8s');
const readme = readFileSync(join(K8S_DIR, 'README.md'), 'utf8');

/**
 * The shell commands of the README's ```sh blocks (those indented in a list item too), one
 * per entry: lines continued with a backslash joined, comments dropped.
 */
function shellBlocks(): string[][] {
  const blocks: string[][] = [];
  for (const [, indent, body] of readme.matchAll(/^( *)```(?:sh|bash|shell)\n([\s\S]*?)^\1```/gm)) {
    const lines = body
      .split('\n')
      .map((line) => line.slice(indent.length))
      .join('\n')
      .replace(/\\\n/g, ' ')
      .split('\n')
      .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
      .filter((line) => line.length > 0);
    blocks.push(lines);
  }
  return blocks;
}

/** The text of the section under `## title`, up to the next `## `. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`deploy/k8s/README.md has no section "${title}"`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

describe('deploy/k8s/README.md', () => {
  it('creates the topics with a replication factor for a real cluster, not the default 1', () => {
    const variable = commonEnv.topicReplicationFactor.env;
    expect(variable).toBe('TOPIC_REPLICATION_FACTOR');
    const inits = shellBlocks()
      .flat()
      .filter((command) => /\bfleet init\b/.test(command));
    // Before you apply (the topics) and Minimal ACLs (`--acls`).
    expect(inits.length).toBeGreaterThanOrEqual(2);
    for (const command of inits) {
      const factor = new RegExp(`(?:^|\\s)${variable}=(\\d+)\\s`).exec(command)?.[1];
      expect(factor, `${command} sets ${variable}`).toBeDefined();
      // acks=all with min.insync.replicas=2, a production cluster's usual setting, needs 2 or more.
      expect(Number(factor), command).toBeGreaterThanOrEqual(2);
    }
  });

  it('runs kubectl port-forward in the background, so that the curl after it runs', () => {
    const blocks = shellBlocks().filter((block) => block.some((command) => /\bport-forward\b/.test(command)));
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) {
      const at = block.findIndex((command) => /\bport-forward\b/.test(command));
      const command = block[at];
      // Anything chained after the port-forward waits for it to exit, which it does not.
      expect(command, 'nothing chained after the port-forward').not.toMatch(/\bport-forward\b.*(&&|\|\||;)/);
      expect(command, 'the port-forward runs in the background').toMatch(/[^&]&$/);
      expect(block.slice(at + 1).some((next) => /\bcurl\b/.test(next))).toBe(true);
    }
  });

  it('lists metrics-server among what the cluster needs when a ScaledObject scales on CPU', () => {
    const overlays = join(K8S_DIR, 'overlays');
    const cpuScaled = readdirSync(overlays, { recursive: true, encoding: 'utf8' })
      .filter((file) => /\.ya?ml$/.test(file))
      .filter((file) => /^\s*-?\s*type:\s*['"]?cpu['"]?\s*$/m.test(readFileSync(join(overlays, file), 'utf8')));
    // The online overlay's KEDA cpu trigger: an HPA on resource metrics, which metrics-server serves.
    expect(cpuScaled.length, 'an overlay scales on CPU').toBeGreaterThan(0);
    expect(section('Before you apply')).toMatch(/metrics-server/);
  });
});
