import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '@fleet/core';
import { modelServiceEnv } from '@fleet/scoring';
import { decisionEnv } from '@fleet/decision';

type Service = {
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
};
const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const root = new URL('../../', import.meta.url);

describe('docker-compose.yml', () => {
  it.each(['duration', 'cost', 'tip', 'decision'])('runs the %s service from the one image, scalable', (name) => {
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
    expect(() => loadConfig(name === 'decision' ? decisionEnv : modelServiceEnv(name), env)).not.toThrow();
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
