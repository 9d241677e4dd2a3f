import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '@fleet/core';
import { infraEnv } from '@fleet/infra';
import { modelServiceEnv } from '@fleet/scoring';
import { decisionEnv } from '@fleet/decision';
import { monitorEnv } from '@fleet/monitor';
import { onlineEnv } from '@fleet/online';

type Service = {
  image?: string;
  init?: boolean;
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
  restart?: string;
};
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const root = new URL('../../', import.meta.url);
/** The image every fleet container runs (Dockerfile). */
const FLEET_IMAGE = /^ride-fleet:/;

/**
 * The runtime stage of the Dockerfile (its last FROM): its WORKDIR, USER and ENV, the later
 * ones winning. ENV is read in both forms, `ENV A=1 B=2` and `ENV A 1`.
 */
function runtimeStage(): { workdir?: string; user?: string; env: Record<string, string> } {
  const text = readFileSync(new URL('Dockerfile', root), 'utf8').replace(/\\\n/g, ' ');
  const stages = text.split(/^FROM\s/m);
  const stage = {
    workdir: undefined as string | undefined,
    user: undefined as string | undefined,
    env: {} as Record<string, string>,
  };
  for (const line of stages[stages.length - 1].split('\n')) {
    const [instruction, ...args] = line.trim().split(/\s+/);
    if (/^WORKDIR$/i.test(instruction)) stage.workdir = args.join(' ');
    if (/^USER$/i.test(instruction)) stage.user = args.join(' ');
    if (!/^ENV$/i.test(instruction) || args.length === 0) continue;
    if (!args[0].includes('=')) stage.env[args[0]] = args.slice(1).join(' ');
    else
      for (const pair of args) {
        const at = pair.indexOf('=');
        stage.env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"(.*)"$/, '$1');
      }
  }
  return stage;
}

describe('docker-compose.yml', () => {
  // Regression: the registry kept its schemas in memory while Kafka kept the records that
  // carry their ids: a registry restarted alone gave those ids to other schemas.
  it("keeps the registry's schemas as long as Kafka keeps its records, as infra/ does", () => {
    const registry = compose.services['schema-registry'];
    expect(registry.environment).toMatchObject({
      APICURIO_STORAGE_KIND: 'sql',
      APICURIO_STORAGE_SQL_KIND: 'h2',
      APICURIO_DATASOURCE_URL: expect.stringMatching(/^jdbc:h2:file:\//),
    });
    expect(registry.restart).toBe('unless-stopped');
    expect(compose.services.kafka.restart).toBe('unless-stopped');
    // The same storage as the local stack's registry (infra/src/registry.ts).
    const infraRegistry = readFileSync(new URL('infra/src/registry.ts', root), 'utf8');
    expect(infraRegistry).toContain("'-Dapicurio.storage.kind=sql'");
    expect(infraRegistry).toContain("'-Dapicurio.storage.sql.kind=h2'");
  });

  it.each(['duration', 'cost', 'tip', 'decision', 'monitor'])('runs the %s service from the one image', (name) => {
    const service = compose.services[name];
    // The image runs the bundle npm run build makes of packages/<name>/src/main.ts.
    expect(service.command).toEqual([`dist/${name}.js`]);
    expect(existsSync(new URL(`packages/${name}/src/main.ts`, root))).toBe(true);
    // A fixed host port would make `--scale` fail on the second instance.
    expect(service.ports).toBeUndefined();
    expect(service.depends_on?.init?.condition).toBe('service_completed_successfully');
    const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
    expect(env.KAFKA_BROKERS).toBe('kafka:19092');
    // The environment parses with the service's own configuration schema.
    const schema = name === 'decision' ? decisionEnv : name === 'monitor' ? monitorEnv : modelServiceEnv(name);
    expect(() => loadConfig(schema, env)).not.toThrow();
  });

  it('runs the online service from the one image on a host port, with no broker to wait for', () => {
    const online = compose.services.online;
    expect(online.command).toEqual(['dist/online.js']);
    expect(existsSync(new URL('packages/online/src/main.ts', root))).toBe(true);
    const env = Object.fromEntries(Object.entries(online.environment ?? {}).map(([k, v]) => [k, String(v)]));
    const config = loadConfig(onlineEnv, env);
    expect(online.ports).toEqual([`${config.port}:${config.port}`]);
    expect(online.depends_on).toBeUndefined();
    // Every variable it is given is one it reads.
    const known = new Set(Object.values(onlineEnv).map((field) => field.env));
    expect(Object.keys(env).filter((k) => !known.has(k))).toEqual([]);
    // Docker waits this long after SIGTERM: the drain (SHUTDOWN_GRACE_MS) and the forced exit 5 s later.
    expect(Number.parseInt(online.stop_grace_period ?? '10s', 10) * 1000).toBeGreaterThan(
      config.shutdownGraceMs + 5000,
    );
  });

  it('creates topics and schemas before the services, once the stack is healthy', () => {
    const init = compose.services.init;
    expect(init.command).toEqual(['dist/cli.js', 'init']);
    expect(init.depends_on).toEqual({
      kafka: { condition: 'service_healthy' },
      'schema-registry': { condition: 'service_healthy' },
    });
  });

  it('replays the rides of the checkout, which the image does not carry', () => {
    const backend = compose.services.backend;
    expect(backend.command).toEqual(['dist/cli.js', 'demo', '--external']);
    expect(backend.volumes).toContain('./models/data:/app/models/data:ro');
    expect(existsSync(new URL('models/data/test_rides.csv', root))).toBe(true);
  });

  it('keeps the CLI’s state where the image’s unprivileged user can write, not in /app', () => {
    // `fleet demo` records the services it sees under FLEET_STATE_DIR/run; unset, that is
    // <repo>/.fleet, /app/.fleet in the image: root's directory, so the demo failed (EACCES).
    expect(infraEnv.stateDir.env).toBe('FLEET_STATE_DIR');
    const image = runtimeStage();
    expect(image.workdir).toBe('/app');
    expect(image.user).toBe('node');
    const backendEnv = compose.services.backend.environment ?? {};
    const stateDir = String(backendEnv.FLEET_STATE_DIR ?? image.env.FLEET_STATE_DIR ?? '/app/.fleet');
    expect(isAbsolute(stateDir), stateDir).toBe(true);
    const normalized = posix.normalize(stateDir);
    expect(normalized === '/app' || normalized.startsWith('/app/'), `${stateDir} must be outside /app`).toBe(false);
    // /tmp: writable by every user in the base image, and an emptyDir in deploy/k8s.
    expect(normalized.startsWith('/tmp/'), `${stateDir} must be under /tmp`).toBe(true);
  });

  it('runs every container of the fleet image with an init, so that signals reach node', () => {
    // node as PID 1 ignores SIGINT (Ctrl-C in `docker compose run --rm backend`): the
    // kernel gives PID 1 no default signal actions.
    const fleet = Object.entries(compose.services).filter(([, service]) => FLEET_IMAGE.test(service.image ?? ''));
    expect(fleet.map(([name]) => name).sort()).toEqual(
      ['backend', 'cost', 'decision', 'duration', 'init', 'monitor', 'online', 'tip'].sort(),
    );
    for (const [name, service] of fleet) expect(service.init, `${name} has init: true`).toBe(true);
  });

  it('advertises a listener for containers and one for the host', () => {
    const env = compose.services.kafka.environment!;
    expect(String(env.KAFKA_ADVERTISED_LISTENERS)).toContain('kafka:19092');
    expect(String(env.KAFKA_ADVERTISED_LISTENERS)).toContain('localhost:9092');
  });
});
