import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '@fleet/core';
import { modelServiceEnv } from '@fleet/scoring';
import { decisionEnv } from '@fleet/decision';
import { monitorEnv } from '@fleet/monitor';
import { onlineEnv } from '@fleet/online';

type Service = {
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  stop_grace_period?: string;
};
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const root = new URL('../../', import.meta.url);

describe('docker-compose.yml', () => {
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

  it('advertises a listener for containers and one for the host', () => {
    const env = compose.services.kafka.environment!;
    expect(String(env.KAFKA_ADVERTISED_LISTENERS)).toContain('kafka:19092');
    expect(String(env.KAFKA_ADVERTISED_LISTENERS)).toContain('localhost:9092');
  });
});
