import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunSummary } from '@fleet/backend';
import { REPO_ROOT } from '@fleet/contract';
import { randomName, stack } from '../../../test/helpers.js';
import { REBALANCE_TIMEOUT_MS, testTimeoutMs, WORK_ALLOWANCE_MS } from '../../../test/timing.js';

/** Debian's chromium (`apt-get install chromium`, which `npm test`'s set-up does when it is missing). */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(REPO_ROOT, '.fleet', 'screenshots', 'dashboard.png');
/** Long enough for the page to be opened and watched while rides flow: 3,000 rides at 100/s. */
const DEMO_ARGS = ['demo', '--drift', '--rides', '3000', '--rate', '100', '--json'];
/** The demo's services start and join their groups; then its rides flow for about 30 s. */
const FLOWING_WITHIN_MS = REBALANCE_TIMEOUT_MS + 2 * WORK_ALLOWANCE_MS;
/** From rides flowing to the demo's end: the replay, the last outcomes and the monitor's join (its own 60 s). */
const DEMO_ENDS_WITHIN_MS = 60_000 + 60_000 + WORK_ALLOWANCE_MS;

/** A `fleet` command as its own process (not through bin/, whose child would outlive a signal). */
function fleet(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'packages/cli/src/main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function output(child: ChildProcess): { text: () => string; exited: Promise<number> } {
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr!.resume();
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  return { text: () => text, exited };
}

async function until<T>(
  get: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('fleet dashboard in headless Chromium, during a demo with --drift', () => {
  const name = randomName('dash');
  const stateDir = mkdtempSync(join(tmpdir(), 'fleet-dashboard-'));
  const env: Record<string, string> = {
    KAFKA_BROKERS: stack().brokers.join(','),
    SCHEMA_REGISTRY_URL: stack().registryUrl,
    TOPIC_RIDES: `${name}.ride_started`,
    TOPIC_PREDICTIONS: `${name}.predictions`,
    TOPIC_DECISIONS: `${name}.ride_decisions`,
    TOPIC_COMPLETED: `${name}.ride_completed`,
    TOPIC_MODEL_HEALTH: `${name}.model_health`,
    TOPIC_PARTITIONS: '3',
    FLEET_GROUP_PREFIX: name,
    FLEET_STATE_DIR: stateDir,
    LOG_LEVEL: 'warn',
  };
  let demo: ChildProcess;
  let dashboard: ChildProcess;
  let browser: BrowserContext | undefined;

  beforeAll(() => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: npm test's set-up installs it (apt-get install -y chromium) as root`);
    demo = fleet(DEMO_ARGS, env);
    dashboard = fleet(['dashboard', '--port', '0'], env);
  });
  afterAll(async () => {
    await browser?.close();
    for (const child of [dashboard, demo]) if (child?.exitCode === null) child.kill('SIGTERM');
    rmSync(stateDir, { recursive: true, force: true });
  });

  it(
    'loads with no console errors and nothing from elsewhere, shows live figures and the drift, updates, and the demo reports the same drift',
    { timeout: testTimeoutMs(FLOWING_WITHIN_MS, DEMO_ENDS_WITHIN_MS) },
    async () => {
      const demoRun = output(demo);
      const dash = output(dashboard);
      const url = await until(
        () => /dashboard: (http:\S+)/.exec(dash.text())?.[1],
        'the dashboard to listen',
        WORK_ALLOWANCE_MS,
      );
      // The demo's services are up and its rides flow, as the dashboard itself sees them.
      await until(
        async () => {
          const snapshot = (await (await fetch(`${url}snapshot`)).json()) as {
            services: Array<{ up: boolean }>;
            ridesPerSec: number | null;
          } | null;
          return snapshot && snapshot.services.filter((s) => s.up).length === 5 && (snapshot.ridesPerSec ?? 0) > 0
            ? true
            : undefined;
        },
        "the demo's five services and its rides on the dashboard",
        FLOWING_WITHIN_MS,
      );

      const userDataDir = mkdtempSync(join(tmpdir(), 'fleet-chromium-'));
      browser = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
        viewport: { width: 1600, height: 1000 },
      });
      const page = browser.pages()[0] ?? (await browser.newPage());
      const errors: string[] = [];
      const hosts = new Set<string>();
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => void (r.url().startsWith('http') && hosts.add(new URL(r.url()).host)));
      await page.goto(url);

      // The page's own figures, as expressions evaluated in the page (this file has no DOM types).
      const text = (id: string) => `document.querySelector('#${id}').textContent`;
      const rates = `Number(${text('rides-rate')}) > 0 && Number(${text('decisions-rate')}) > 0`;
      await page.waitForFunction(rates, undefined, { timeout: FLOWING_WITHIN_MS });
      // Live MAE from the monitor: the rides end on the demo's compressed clock and are joined.
      // Until the monitor has figures the table holds one "none" row of one cell: a predicate
      // that throws ends the wait at once, so a missing cell counts as no MAE yet.
      const maes = `[...document.querySelectorAll('#accuracy tbody tr')].filter((tr) => Number(tr.children[2]?.textContent) > 0).length === 3`;
      await page.waitForFunction(maes, undefined, { timeout: DEMO_ENDS_WITHIN_MS });
      await page.waitForFunction(`${text('drift-status')} === 'ALERT'`, undefined, { timeout: DEMO_ENDS_WITHIN_MS });
      expect(await page.locator('#latency').textContent()).toMatch(/^p50 \d+ · p95 \d+ · p99 \d+$/);
      expect(await page.locator('#latency-chart canvas').count()).toBeGreaterThan(0);
      expect(await page.locator('#mae-chart canvas').count()).toBeGreaterThan(0);
      expect(await page.locator('#lag tbody tr').count()).toBeGreaterThan(1);

      // It updates by itself: more snapshots arrive and the page says so.
      const count = Number(await page.locator('#updates').getAttribute('data-count'));
      const stamp = await page.locator('#status').textContent();
      const more = `Number(document.querySelector('#updates').dataset.count) >= ${count + 2}`;
      await page.waitForFunction(more, undefined, { timeout: WORK_ALLOWANCE_MS });
      expect(await page.locator('#status').textContent()).not.toBe(stamp);

      mkdirSync(join(REPO_ROOT, '.fleet', 'screenshots'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(errors).toEqual([]);
      expect([...hosts]).toEqual([new URL(url).host]);

      // The demo ends and its summary reports the drift the page showed.
      expect(await demoRun.exited).toBe(0);
      const summary = JSON.parse(demoRun.text()) as RunSummary;
      expect(summary.undecided).toBe(0);
      expect(summary.monitor?.drift.some((f) => f.drift === 'ALERT')).toBe(true);
      expect(summary.monitor?.accuracy.map((f) => f.outcomes)).toEqual([3000, 3000, 3000]);
    },
  );
});
