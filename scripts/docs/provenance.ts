/**
 * Where a recorded figure comes from: when it was measured, on which commit, on what
 * machine. Every artifact a generated section is rendered from carries these, and every
 * generated section shows them.
 */
import { execFileSync } from 'node:child_process';
import { machineInfo } from '../../bench/lib/machine.js';
import { REPO_ROOT } from './sections.js';

/** What {@link machineInfo} records. */
export type MachineInfo = ReturnType<typeof machineInfo>;

/** When, on which commit and on what machine a run was made. */
export interface Provenance {
  /** ISO 8601, UTC. */
  date: string;
  /** {@link gitCommit} at the start of the run. */
  commit: string;
  info: MachineInfo;
}

/**
 * The short sha of HEAD, with `+dirty` when the work tree has changes that are not
 * committed, untracked files included (the figures then come from code no commit holds);
 * `unknown` outside git.
 */
export function gitCommit(): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const sha = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain') === '' ? sha : `${sha}+dirty`;
  } catch {
    return 'unknown';
  }
}

/** The provenance of a run starting now. */
export function provenance(): Provenance {
  return { date: new Date().toISOString(), commit: gitCommit(), info: machineInfo() };
}

/** "2 cores AMD EPYC, 24 GB, Node.js 20.20.2". */
export function machineLine(info: MachineInfo): string {
  const { machine, versions } = info;
  return `${machine.cpus} cores ${machine.cpuModel}, ${machine.memoryGb} GB, Node.js ${versions.node}`;
}

/** "2026-11-25 15:57 UTC" from an ISO date. */
export function shortDate(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** "2026-11-25 15:57 UTC · commit 71f7555 · 2 cores AMD EPYC, 24 GB, Node.js 20.20.2". */
export function provenanceLine(p: { date: string; commit?: string; info: MachineInfo }): string {
  const commit = p.commit ? `commit \`${p.commit}\`` : 'commit not recorded';
  return `${shortDate(p.date)} · ${commit} · ${machineLine(p.info)}`;
}
