// Validates the Kubernetes manifests in deploy/k8s as the cluster would get them: renders the
// kustomization (`kubectl kustomize deploy/k8s`: the base, the component and the
// overlays), checks every rendered object against the official Kubernetes and KEDA schemas
// (kubernetes-models, offline), then the fields that matter for this fleet: probes, resources,
// graceful termination, the env the services really read, and one lag-scaled ScaledObject per
// consumer group capped at the partition count (the monitor: one instance, not scaled).
// Needs no broker, but needs kubectl (it bundles kustomize): without it the file fails.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import {
  ConfigMap,
  Namespace,
  Secret,
  Service,
  type IConfigMap,
  type IContainer,
  type INamespace,
  type IPodSpec,
  type ISecret,
  type IService,
} from 'kubernetes-models/v1';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import {
  ScaledObject,
  TriggerAuthentication,
  type IScaledObject,
  type ITriggerAuthentication,
} from '@kubernetes-models/keda/keda.sh/v1alpha1';
import {
  backoffDelay,
  checkKafkaSecurity,
  commonEnv,
  loadConfig,
  REGISTRY_REQUEST_TIMEOUT_MS,
  type CommonConfig,
  type EnvSchema,
} from '@fleet/core';
import { modelServiceEnv } from '@fleet/scoring';
import { decisionEnv } from '@fleet/decision';
import { monitorEnv } from '@fleet/monitor';
import { onlineEnv } from '@fleet/online';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const K8S_DIR = join(REPO_ROOT, 'deploy', 'k8s');
const NAMESPACE = 'ride-fleet';
const IMAGE = 'ghcr.io/example/ride-fleet:0.1.0';
const METRICS_PORT = 9464;
/** The process forces its exit this long after SHUTDOWN_GRACE_MS (packages/core/src/shutdown.ts). */
const FORCED_EXIT_MARGIN_MS = 5_000;

/** A number a source file of packages/core/src sets, read from it because it is not exported. */
function sourceConstant(file: string, pattern: RegExp): number {
  const text = readFileSync(join(REPO_ROOT, 'packages', 'core', 'src', file), 'utf8');
  const m = pattern.exec(text);
  if (!m) throw new Error(`packages/core/src/${file} no longer matches ${String(pattern)}: update this test`);
  return Number(m[1].replace(/_/g, ''));
}

/** Loading, verifying (sha256) and warming up a model before the schema lookups; a few seconds on one core. */
const MODEL_START_MS = 20_000;
/** Pauses of the registry client between the attempts of one call (mappersmith: 0.1 s, then 0.2 s, ±20 %), rounded up. */
const REGISTRY_CLIENT_PAUSES_MS = 500;

/**
 * The longest a stream service may take before its /healthz answers, that is before it
 * gives up by itself: its model (model services), then its schemas looked up in the
 * registry (createTopicSerde, packages/core/src/serde/topic-serde.ts, the topics in
 * parallel), retried with backoff while the registry is down. Worst case: every backoff at
 * its ceiling (the jitter at its top) and every attempt's call timing out on each of its
 * attempts (packages/core/src/serde/registry.ts).
 */
function startupBudgetMs(): number {
  const topicSerde = readFileSync(join(REPO_ROOT, 'packages/core/src/serde/topic-serde.ts'), 'utf8');
  // The backoff is retry()'s default one: no delay, cap or factor of its own.
  expect(topicSerde).not.toMatch(/initialDelayMs|maxDelayMs|factor/);
  const retries = sourceConstant('serde/topic-serde.ts', /\bretries:\s*([\d_]+)/);
  const callAttempts = sourceConstant('serde/registry.ts', /\bconst REGISTRY_ATTEMPTS\s*=\s*([\d_]+)/);
  let waits = 0;
  for (let attempt = 0; attempt < retries; attempt++) waits += backoffDelay(attempt, {}, () => 1);
  const attemptMs = callAttempts * REGISTRY_REQUEST_TIMEOUT_MS + REGISTRY_CLIENT_PAUSES_MS;
  return MODEL_START_MS + waits + (retries + 1) * attemptMs;
}

/** What each service is, from the point of view of its Deployment and ScaledObject. */
interface ServiceSpec {
  /** The container's args: the bundle `npm run build` makes of {@link source}. */
  entry: string;
  /** The TypeScript entry; scripts/build.mjs bundles packages/<x>/src/main.ts into dist/<x>.js. */
  source: string;
  schema: EnvSchema;
  /** The variable naming its consumer group, and the group. */
  groupVar: 'GROUP_ID';
  group: string;
  /**
   * How the group scales: KEDA on the lag of the topic the variable names, or one instance
   * (the monitor, whose figures are of the rides it holds).
   */
  scaling: { lagOf: 'TOPIC_RIDES' | 'TOPIC_PREDICTIONS' } | 'one instance';
  /** Variables the service must be given beyond {@link REQUIRED_COMMON}. */
  required: string[];
  minRequests: { cpu: number; memory: number };
}

const MI = 1024 * 1024;
const modelService = (model: string): ServiceSpec => ({
  entry: `dist/${model}.js`,
  source: `packages/${model}/src/main.ts`,
  schema: modelServiceEnv(model),
  groupVar: 'GROUP_ID',
  group: `fleet.${model}`,
  scaling: { lagOf: 'TOPIC_RIDES' },
  required: ['GROUP_ID', 'ONNX_INTRA_OP_THREADS', 'KAFKA_SESSION_TIMEOUT_MS'],
  minRequests: { cpu: 0.25, memory: 256 * MI },
});
const SERVICES: Record<string, ServiceSpec> = {
  duration: modelService('duration'),
  cost: modelService('cost'),
  tip: modelService('tip'),
  decision: {
    entry: 'dist/decision.js',
    source: 'packages/decision/src/main.ts',
    schema: decisionEnv,
    groupVar: 'GROUP_ID',
    group: 'fleet.decision',
    scaling: { lagOf: 'TOPIC_PREDICTIONS' },
    required: ['GROUP_ID', 'DECISION_JOIN_TIMEOUT_MS'],
    minRequests: { cpu: 0.05, memory: 64 * MI },
  },
  monitor: {
    entry: 'dist/monitor.js',
    source: 'packages/monitor/src/main.ts',
    schema: monitorEnv,
    groupVar: 'GROUP_ID',
    group: 'fleet.monitor',
    scaling: 'one instance',
    required: ['GROUP_ID', 'TOPIC_COMPLETED', 'TOPIC_MODEL_HEALTH', 'MONITOR_MAX_PENDING_RIDES'],
    minRequests: { cpu: 0.05, memory: 256 * MI },
  },
};
const LAG_SCALED = Object.keys(SERVICES).filter((name) => SERVICES[name].scaling !== 'one instance');

/** Variables every service must be given explicitly in the cluster (the rest keep code defaults). */
const REQUIRED_COMMON = [
  'KAFKA_BROKERS',
  'KAFKA_SSL',
  'KAFKA_SSL_CA_FILE',
  'KAFKA_SASL_MECHANISM',
  'SCHEMA_REGISTRY_URL',
  'SCHEMA_REGISTRY_USERNAME',
  'SCHEMA_REGISTRY_PASSWORD',
  'LOG_LEVEL',
  'TOPIC_RIDES',
  'TOPIC_PREDICTIONS',
  'TOPIC_DECISIONS',
  'SHUTDOWN_GRACE_MS',
  'METRICS_PORT',
];
const SECRET_VARS = ['KAFKA_SASL_PASSWORD', 'SCHEMA_REGISTRY_PASSWORD'];
/**
 * The service's Kafka user, from optional keys of the Secret: unset while the template
 * holds none (KAFKA_SASL_MECHANISM=none refuses a user), set once SASL is configured.
 */
const KAFKA_CREDENTIALS = ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'];
/** The online service: no consumer group, an HTTP Service in front, scaled on CPU. */
const ONLINE = 'online';

/** A parsed manifest object, before it is narrowed by kind. */
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** Schema validators by apiVersion/kind: each throws on an object its schema rejects. */
const VALIDATORS: Record<string, (data: unknown) => void> = {
  'v1/Namespace': (d) => new Namespace(d as INamespace).validate(),
  'v1/ConfigMap': (d) => new ConfigMap(d as IConfigMap).validate(),
  'v1/Secret': (d) => new Secret(d as ISecret).validate(),
  'v1/Service': (d) => new Service(d as IService).validate(),
  'apps/v1/Deployment': (d) => new Deployment(d as IDeployment).validate(),
  'policy/v1/PodDisruptionBudget': (d) => new PodDisruptionBudget(d as IPodDisruptionBudget).validate(),
  'keda.sh/v1alpha1/ScaledObject': (d) => new ScaledObject(d as IScaledObject).validate(),
  'keda.sh/v1alpha1/TriggerAuthentication': (d) => new TriggerAuthentication(d as ITriggerAuthentication).validate(),
};

function validate(object: K8sObject): void {
  const validator = VALIDATORS[`${object.apiVersion}/${object.kind}`];
  if (!validator) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  validator(object);
}

function parseYamlDocs(text: string, file: string): K8sObject[] {
  return parseAllDocuments(text).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${i}: ${doc.errors[0].message}`);
    const object = doc.toJS() as K8sObject | null;
    if (!object || typeof object.kind !== 'string' || typeof object.apiVersion !== 'string') {
      throw new Error(`${file} document ${i} is not a Kubernetes object`);
    }
    return object;
  });
}

interface Kustomization {
  apiVersion: string;
  kind: string;
  namespace?: string;
  resources?: string[];
  components?: string[];
  patches?: { path?: string; patch?: string }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

function readKustomization(dir: string): Kustomization {
  return parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0].toJS() as Kustomization;
}

/** Every file a kustomization uses (its own, its resources', components' and patches'), relative to deploy/k8s. */
function filesUsedBy(dir: string): string[] {
  const own = readKustomization(dir);
  const used = [relative(K8S_DIR, join(dir, 'kustomization.yaml'))];
  for (const entry of [...(own.resources ?? []), ...(own.components ?? [])]) {
    const path = join(dir, entry);
    if (!existsSync(path)) throw new Error(`${relative(K8S_DIR, dir) || '.'} lists ${entry}, which does not exist`);
    used.push(...(statSync(path).isDirectory() ? filesUsedBy(path) : [relative(K8S_DIR, path)]));
  }
  for (const { path } of own.patches ?? []) if (path) used.push(relative(K8S_DIR, join(dir, path)));
  return used;
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
}

function kubectlPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'kubectl');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const kubectl = kubectlPath();
if (!kubectl) {
  throw new Error(
    'kubectl is not on PATH: test/deploy/k8s.test.ts renders deploy/k8s with `kubectl kustomize` ' +
      '(kubectl bundles kustomize). Install kubectl (https://kubernetes.io/docs/tasks/tools/) and run it again.',
  );
}

/** The objects `kubectl kustomize <dir>` renders, as `kubectl apply -k <dir>` would send them. */
function render(dir: string): K8sObject[] {
  const out = execFileSync(kubectl ?? 'kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseYamlDocs(out, `kubectl kustomize ${relative(REPO_ROOT, dir)}`);
}

const kustomization = readKustomization(K8S_DIR);
const docs: K8sObject[] = render(K8S_DIR);

function find<T>(kind: string, name: string): T {
  const found = docs.filter((d) => d.kind === kind && d.metadata?.name === name);
  if (found.length !== 1) throw new Error(`expected exactly one ${kind} ${name}, found ${found.length}`);
  return found[0] as unknown as T;
}

function only<T>(kind: string): T[] {
  return docs.filter((d) => d.kind === kind).map((d) => d as unknown as T);
}

/** CPU cores or bytes of a Kubernetes quantity (the suffixes these manifests use). */
function quantity(value: string | number | undefined): number {
  if (value === undefined) throw new Error('quantity missing');
  const m = /^(\d+(?:\.\d+)?)(m|Ki|Mi|Gi|k|M|G)?$/.exec(String(value));
  if (!m) throw new Error(`cannot read quantity ${String(value)}`);
  const factor: Record<string, number> = {
    m: 1e-3,
    Ki: 1024,
    Mi: 1024 ** 2,
    Gi: 1024 ** 3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
  };
  return Number(m[1]) * (m[2] ? factor[m[2]] : 1);
}

const configMaps = only<IConfigMap>('ConfigMap');
const secrets = only<ISecret>('Secret');

function configMapData(name: string): Record<string, string> {
  const cm = configMaps.find((c) => c.metadata?.name === name);
  if (!cm) throw new Error(`envFrom names ConfigMap ${name}, which is not in deploy/k8s`);
  return cm.data ?? {};
}

function secretValue(name: string, key: string, optional = false): string | undefined {
  const secret = secrets.find((s) => s.metadata?.name === name);
  if (!secret) throw new Error(`secretKeyRef names Secret ${name}, which is not in deploy/k8s`);
  const value = secret.stringData?.[key];
  if (value === undefined && !optional) throw new Error(`Secret ${name} has no key ${key}`);
  return value;
}

/**
 * The environment a container starts with: its envFrom ConfigMaps, then its env entries
 * (later wins, as in Kubernetes), with secretKeyRef values read from the Secret template
 * (an optional key the Secret lacks leaves its variable unset, as the kubelet does).
 */
function effectiveEnv(deployment: IDeployment): { env: Record<string, string>; fromSecret: Set<string> } {
  const container = deployment.spec?.template.spec?.containers[0];
  if (!container) throw new Error(`Deployment ${deployment.metadata?.name} has no container`);
  const env: Record<string, string> = {};
  const fromSecret = new Set<string>();
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef?.name) throw new Error('only configMapRef envFrom sources are expected');
    Object.assign(env, configMapData(source.configMapRef.name));
  }
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined) {
      env[entry.name] = entry.value;
    } else if (entry.valueFrom?.secretKeyRef) {
      const ref = entry.valueFrom.secretKeyRef;
      const value = secretValue(ref.name ?? '', ref.key, ref.optional === true);
      if (value !== undefined) env[entry.name] = value;
      fromSecret.add(entry.name);
    } else {
      throw new Error(`env ${entry.name} has neither a value nor a secretKeyRef`);
    }
  }
  return { env, fromSecret };
}

describe('deploy/k8s kustomization', () => {
  it('renders the shared base and one overlay per service, in the fleet namespace', () => {
    expect(kustomization.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
    expect(kustomization.kind).toBe('Kustomization');
    expect(kustomization.namespace).toBe(NAMESPACE);
    const expected = ['base', ...[...Object.keys(SERVICES), ONLINE].map((name) => `overlays/${name}`)];
    expect([...(kustomization.resources ?? [])].sort()).toEqual(expected.sort());
  });

  it('uses every file under deploy/k8s, once each', () => {
    const used = filesUsedBy(K8S_DIR);
    // The template and the component are used by every overlay; every other file by one.
    expect([...new Set(used)].sort()).toEqual(yamlFilesUnder(K8S_DIR));
    const once = used.filter((f) => !/^(base\/service|components)\//.test(f));
    expect(new Set(once).size, 'no file listed twice').toBe(once.length);
  });

  it('no placeholder of the service template is left in the rendered objects', () => {
    const text = JSON.stringify(docs);
    expect(text).not.toMatch(/fleet-service|-SERVICE-/);
  });

  it('the kustomization pins the one image every Deployment uses', () => {
    const [name, tag] = IMAGE.split(':');
    expect(kustomization.images).toContainEqual({ name, newTag: tag });
  });

  it('has the expected kinds: one Deployment, PDB and ScaledObject per service, a Service for online', () => {
    const names = (kind: string) =>
      docs
        .filter((d) => d.kind === kind)
        .map((d) => d.metadata.name)
        .sort();
    const services = [...Object.keys(SERVICES), ONLINE].sort();
    expect(names('Deployment')).toEqual(services);
    expect(names('Service')).toEqual([ONLINE]);
    expect(names('PodDisruptionBudget')).toEqual(services);
    expect(names('ScaledObject')).toEqual([...LAG_SCALED, ONLINE].sort());
    expect(names('Namespace')).toEqual([NAMESPACE]);
  });

  it('every object validates against its official schema (Kubernetes, KEDA CRDs)', () => {
    expect(docs.length).toBeGreaterThan(0);
    for (const object of docs) {
      expect(() => validate(object), `${object.kind} ${object.metadata?.name}`).not.toThrow();
    }
  });

  it('the schema validation rejects a broken object (it is not a no-op)', () => {
    const deployment = structuredClone(find<IDeployment>('Deployment', 'duration')) as unknown as K8sObject & {
      spec: { template: { spec: Record<string, unknown> } };
    };
    deployment.spec.template.spec.terminationGracePeriodSeconds = '30';
    expect(() => validate(deployment)).toThrow(/terminationGracePeriodSeconds must be integer/);
    const scaled = structuredClone(find<IScaledObject>('ScaledObject', 'duration'));
    (scaled.spec.triggers[0].metadata as Record<string, unknown>).lagThreshold = 500;
    expect(() => validate(scaled as unknown as K8sObject)).toThrow(/lagThreshold must be string/);
    expect(() => validate({ apiVersion: 'v1', kind: 'Pdo', metadata: { name: 'x' } })).toThrow(/no schema/);
  });

  it('every namespaced object lives in the ride-fleet namespace', () => {
    for (const object of docs) {
      if (object.kind === 'Namespace') continue;
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe(NAMESPACE);
    }
  });
});

/** What the tests of one service look at; read inside each test so a missing object fails that test. */
function serviceView(name: string) {
  const deployment = find<IDeployment>('Deployment', name);
  const podSpec = deployment.spec?.template.spec;
  const containers = podSpec?.containers ?? [];
  const container = containers[0];
  if (!container) throw new Error(`Deployment ${name} has no container`);
  return { deployment, podSpec, containers, container, ...effectiveEnv(deployment) };
}

/** Non-root, read-only root with a writable /tmp, no privilege escalation, no capabilities. */
function expectHardened(podSpec: IPodSpec | undefined, container: IContainer): void {
  const pod = podSpec?.securityContext;
  const ctx = container.securityContext;
  expect(pod?.runAsNonRoot ?? ctx?.runAsNonRoot).toBe(true);
  // The image's user is `node` (not numeric): the kubelet needs a numeric id to verify non-root.
  expect(pod?.runAsUser ?? ctx?.runAsUser).toBeGreaterThan(0);
  expect(ctx?.allowPrivilegeEscalation).toBe(false);
  expect(ctx?.readOnlyRootFilesystem).toBe(true);
  expect(ctx?.privileged ?? false).toBe(false);
  expect(ctx?.capabilities?.drop).toContain('ALL');
  expect(ctx?.capabilities?.add ?? []).toEqual([]);
  // A read-only root needs a writable /tmp (for whatever writes a temporary file) from a
  // volume the pod defines.
  const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
  expect(tmp, '/tmp is mounted').toBeDefined();
  expect(podSpec?.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  for (const mount of container.volumeMounts ?? []) {
    expect(podSpec?.volumes?.map((v) => v.name)).toContain(mount.name);
  }
}

describe.each(Object.entries(SERVICES))('service %s', (name, spec) => {
  it('runs one container of the fleet image with its bundle', () => {
    const { containers, container } = serviceView(name);
    expect(containers).toHaveLength(1);
    expect(container.name).toBe(name);
    expect(container.image).toBe(IMAGE);
    expect(container.command, 'the image ENTRYPOINT (node) is kept').toBeUndefined();
    expect(container.args).toEqual([spec.entry]);
    expect(existsSync(join(REPO_ROOT, spec.source)), `${spec.source} exists`).toBe(true);
  });

  it('its overlay renders alone the same objects as in the whole fleet', () => {
    const alone = render(join(K8S_DIR, 'overlays', name));
    const kinds = ['Deployment', 'PodDisruptionBudget', ...(spec.scaling === 'one instance' ? [] : ['ScaledObject'])];
    expect(alone.map((o) => o.kind).sort()).toEqual(kinds);
    for (const object of alone) expect(object).toEqual(find(object.kind, name));
  });

  it('selects its own pods and leaves the replica count to KEDA, or runs exactly one', () => {
    const { deployment } = serviceView(name);
    const selector = deployment.spec?.selector.matchLabels ?? {};
    expect(selector['app.kubernetes.io/name']).toBe(name);
    expect(deployment.spec?.template.metadata?.labels).toMatchObject(selector);
    expect(deployment.metadata?.labels).toMatchObject(selector);
    if (spec.scaling === 'one instance') {
      expect(deployment.spec?.replicas).toBe(1);
      // An update must not run the old and the new instance side by side, each with part of the rides.
      expect(deployment.spec?.strategy?.type).toBe('Recreate');
    } else {
      expect(deployment.spec?.replicas, 'spec.replicas would fight the HPA on every apply').toBeUndefined();
    }
  });

  it('serves /metrics, /healthz and /readyz on the metrics port, probed there', () => {
    const { deployment, container, env } = serviceView(name);
    const ports = container.ports ?? [];
    const metrics = ports.find((p) => p.name === 'metrics');
    expect(metrics?.containerPort).toBe(METRICS_PORT);
    expect(Number(env.METRICS_PORT)).toBe(METRICS_PORT);
    const portOf = (port: string | number | undefined) =>
      typeof port === 'number' ? port : ports.find((p) => p.name === port)?.containerPort;
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(portOf(container.readinessProbe?.httpGet?.port)).toBe(METRICS_PORT);
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(portOf(container.livenessProbe?.httpGet?.port)).toBe(METRICS_PORT);
    if (container.startupProbe) {
      expect(container.startupProbe.httpGet?.path).toBe('/healthz');
      expect(portOf(container.startupProbe.httpGet?.port)).toBe(METRICS_PORT);
    }
    const annotations = deployment.spec?.template.metadata?.annotations ?? {};
    expect(annotations['prometheus.io/scrape']).toBe('true');
    expect(annotations['prometheus.io/port']).toBe(String(METRICS_PORT));
    expect(annotations['prometheus.io/path']).toBe('/metrics');
  });

  it('gives the start-up its worst case (model, registry retries) before liveness counts', () => {
    const { container } = serviceView(name);
    const probe = container.startupProbe;
    expect(probe, 'a startupProbe holds liveness back while the service starts').toBeDefined();
    const windowMs =
      ((probe?.initialDelaySeconds ?? 0) + (probe?.periodSeconds ?? 10) * (probe?.failureThreshold ?? 3)) * 1000;
    // The model, then 128.1 s of backoff and 11 attempts of 3 calls timing out after 5 s each.
    const budgetMs = startupBudgetMs();
    expect(budgetMs).toBeGreaterThan(120_000);
    expect(windowMs, `startup window ${windowMs} ms, budget ${budgetMs} ms`).toBeGreaterThanOrEqual(budgetMs);
  });

  it('requests and limits CPU and memory, requests within limits', () => {
    const { container } = serviceView(name);
    const { requests, limits } = container.resources ?? {};
    const cpuRequest = quantity(requests?.cpu);
    const memoryRequest = quantity(requests?.memory);
    expect(cpuRequest).toBeGreaterThanOrEqual(spec.minRequests.cpu);
    expect(memoryRequest).toBeGreaterThanOrEqual(spec.minRequests.memory);
    expect(quantity(limits?.cpu)).toBeGreaterThanOrEqual(cpuRequest);
    expect(quantity(limits?.memory)).toBeGreaterThanOrEqual(memoryRequest);
  });

  it('gives the graceful shutdown its full time before SIGKILL', () => {
    const { podSpec, env } = serviceView(name);
    const graceMs = Number(env.SHUTDOWN_GRACE_MS);
    expect(graceMs).toBeGreaterThan(0);
    const periodMs = (podSpec?.terminationGracePeriodSeconds ?? 30) * 1000;
    expect(podSpec?.terminationGracePeriodSeconds, 'set explicitly').toBeDefined();
    expect(periodMs).toBeGreaterThan(graceMs + FORCED_EXIT_MARGIN_MS);
  });

  it('runs non-root, read-only, without privilege escalation or capabilities', () => {
    const { podSpec, container } = serviceView(name);
    expectHardened(podSpec, container);
  });

  it('sets only variables the service reads, and every one the cluster needs', () => {
    const { env, fromSecret } = serviceView(name);
    const known = new Set(Object.values(spec.schema).map((field) => field.env));
    for (const variable of Object.keys(env)) {
      expect(known.has(variable), `${variable} is read by the ${name} service`).toBe(true);
    }
    const required = [...REQUIRED_COMMON, ...spec.required];
    expect(Object.keys(env)).toEqual(expect.arrayContaining(required));
    for (const variable of SECRET_VARS) expect(fromSecret.has(variable), `${variable} from a Secret`).toBe(true);
  });

  it('takes its Kafka user from its own optional keys of the Secret, which the template leaves out', () => {
    const { container } = serviceView(name);
    for (const variable of KAFKA_CREDENTIALS) {
      const ref = container.env?.find((e) => e.name === variable)?.valueFrom?.secretKeyRef;
      expect(ref?.key, variable).toBe(`kafka-${name}-${variable === 'KAFKA_SASL_USERNAME' ? 'username' : 'password'}`);
      // Without SASL a cluster needs no such key, and the pod still starts.
      expect(ref?.optional, `${variable} optional`).toBe(true);
      expect(secretValue(ref?.name ?? '', ref?.key ?? '', true), `${ref?.key} in the template`).toBeUndefined();
    }
    // Commented out in the template: what to add when KAFKA_SASL_MECHANISM is set.
    const template = readFileSync(join(K8S_DIR, 'base', 'secret.yaml'), 'utf8');
    expect(template).toMatch(new RegExp(`^\\s*# kafka-${name}-username: `, 'm'));
    expect(template).toMatch(new RegExp(`^\\s*# kafka-${name}-password: `, 'm'));
  });

  it('its Kafka security settings, as rendered, are a combination the service accepts', () => {
    const { env } = serviceView(name);
    const config = loadConfig(spec.schema, env) as unknown as CommonConfig;
    expect(() => checkKafkaSecurity(config)).not.toThrow();
  });

  it('the environment parses with the service’s own config schema', () => {
    const { env } = serviceView(name);
    const config = loadConfig(spec.schema, env) as unknown as Record<string, unknown>;
    expect(config.groupId).toBe(spec.group);
    expect(env[spec.groupVar]).toBe(spec.group);
    expect(config.metricsPort).toBe(METRICS_PORT);
    expect(config.shutdownGraceMs).toBe(Number(env.SHUTDOWN_GRACE_MS));
  });

  it('has a PodDisruptionBudget of one instance at a time over the same pods', () => {
    const { deployment } = serviceView(name);
    const pdb = find<IPodDisruptionBudget>('PodDisruptionBudget', name);
    expect(pdb.spec?.maxUnavailable).toBe(1);
    expect(pdb.spec?.selector?.matchLabels).toEqual(deployment.spec?.selector.matchLabels);
  });

  it('its consumer group is scaled by KEDA on Kafka lag, up to the partition count (or not at all)', () => {
    const { env } = serviceView(name);
    if (spec.scaling === 'one instance') {
      expect(docs.filter((d) => d.kind === 'ScaledObject' && d.metadata.name === name)).toEqual([]);
      return;
    }
    const scaled = find<IScaledObject>('ScaledObject', name);
    expect(scaled.spec.scaleTargetRef.name).toBe(name);
    expect(scaled.spec.scaleTargetRef.kind ?? 'Deployment').toBe('Deployment');
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    const partitions = Number(env.TOPIC_PARTITIONS ?? commonEnv.topicPartitions.default);
    expect(scaled.spec.maxReplicaCount, 'more consumers than partitions sit idle').toBe(partitions);
    expect(scaled.spec.triggers).toHaveLength(1);
    const trigger = scaled.spec.triggers[0];
    expect(trigger.type).toBe('kafka');
    const meta = trigger.metadata as Record<string, string>;
    expect(meta.consumerGroup).toBe(spec.group);
    expect(meta.topic).toBe(env[spec.scaling.lagOf]);
    expect(meta.bootstrapServers).toBe(env.KAFKA_BROKERS);
    expect(Number(meta.lagThreshold)).toBeGreaterThan(0);
    expect(meta.offsetResetPolicy).toBe('latest');
    expect(meta.allowIdleConsumers ?? 'false').toBe('false');
    const auths = only<ITriggerAuthentication>('TriggerAuthentication').map((a) => a.metadata?.name);
    expect(auths).toContain(trigger.authenticationRef?.name);
  });
});

describe('service online', () => {
  const view = () => serviceView(ONLINE);
  const portOf = (container: IContainer, port: string | number | undefined) =>
    typeof port === 'number' ? port : container.ports?.find((p) => p.name === port)?.containerPort;

  it('runs one container of the fleet image with its bundle, and its overlay renders alone the same objects', () => {
    const { containers, container } = view();
    expect(containers).toHaveLength(1);
    expect(container.name).toBe(ONLINE);
    expect(container.image).toBe(IMAGE);
    expect(container.args).toEqual(['dist/online.js']);
    expect(existsSync(join(REPO_ROOT, 'packages/online/src/main.ts'))).toBe(true);
    const alone = render(join(K8S_DIR, 'overlays', ONLINE));
    expect(alone.map((o) => o.kind).sort()).toEqual(['Deployment', 'PodDisruptionBudget', 'ScaledObject', 'Service']);
    for (const object of alone) expect(object).toEqual(find(object.kind, ONLINE));
  });

  it('reads only its own variables, none from a Secret, and they parse with its config schema', () => {
    const { env, fromSecret, container } = view();
    const known = new Set(Object.values(onlineEnv).map((field) => field.env));
    expect(Object.keys(env).filter((variable) => !known.has(variable))).toEqual([]);
    expect([...fromSecret]).toEqual([]);
    expect(container.envFrom, 'not the stream services’ Kafka ConfigMap').toBeUndefined();
    const config = loadConfig(onlineEnv, env);
    expect(config.port).toBe(METRICS_PORT);
    expect(config.shutdownGraceMs).toBe(Number(env.SHUTDOWN_GRACE_MS));
  });

  it('serves its API, /metrics and the probes on one port, behind a Service that selects its pods', () => {
    const { deployment, container, env } = view();
    expect(portOf(container, 'metrics')).toBe(Number(env.ONLINE_PORT));
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(portOf(container, container.readinessProbe?.httpGet?.port)).toBe(Number(env.ONLINE_PORT));
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(deployment.spec?.template.metadata?.annotations?.['prometheus.io/port']).toBe(env.ONLINE_PORT);
    const service = find<IService>('Service', ONLINE);
    expect(service.spec?.selector).toEqual(deployment.spec?.selector.matchLabels);
    const [port] = service.spec?.ports ?? [];
    expect(portOf(container, port?.targetPort)).toBe(Number(env.ONLINE_PORT));
    expect(deployment.spec?.replicas, 'spec.replicas would fight the HPA on every apply').toBeUndefined();
  });

  it('leaves the Service before the drain, and gives the drain its full time before SIGKILL', () => {
    const { podSpec, container, env } = view();
    const preStop = container.lifecycle?.preStop?.exec?.command ?? [];
    expect(preStop[0]).toBe('sleep');
    const preStopMs = Number(preStop[1]) * 1000;
    expect(preStopMs).toBeGreaterThan(0);
    const periodMs = (podSpec?.terminationGracePeriodSeconds ?? 30) * 1000;
    expect(periodMs).toBeGreaterThan(preStopMs + Number(env.SHUTDOWN_GRACE_MS) + FORCED_EXIT_MARGIN_MS);
  });

  it('requests and limits CPU and memory, runs hardened, one instance at a time in a disruption', () => {
    const { deployment, podSpec, container } = view();
    const { requests, limits } = container.resources ?? {};
    expect(quantity(requests?.cpu)).toBeGreaterThan(0);
    expect(quantity(limits?.cpu)).toBeGreaterThanOrEqual(quantity(requests?.cpu));
    expect(quantity(requests?.memory)).toBeGreaterThanOrEqual(256 * MI);
    expect(quantity(limits?.memory)).toBeGreaterThanOrEqual(quantity(requests?.memory));
    expectHardened(podSpec, container);
    const pdb = find<IPodDisruptionBudget>('PodDisruptionBudget', ONLINE);
    expect(pdb.spec?.maxUnavailable).toBe(1);
    expect(pdb.spec?.selector?.matchLabels).toEqual(deployment.spec?.selector.matchLabels);
  });

  it('is scaled by KEDA on CPU, never below two replicas', () => {
    const scaled = find<IScaledObject>('ScaledObject', ONLINE);
    expect(scaled.spec.scaleTargetRef.name).toBe(ONLINE);
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(2);
    expect(scaled.spec.maxReplicaCount).toBeGreaterThan(scaled.spec.minReplicaCount ?? 0);
    expect(scaled.spec.triggers).toHaveLength(1);
    const [trigger] = scaled.spec.triggers;
    expect(trigger.type).toBe('cpu');
    expect(trigger.metricType).toBe('Utilization');
    expect(Number((trigger.metadata as Record<string, string>).value)).toBeGreaterThan(0);
    expect(trigger.authenticationRef, 'no Kafka to log in to').toBeUndefined();
  });
});

describe('KEDA authentication', () => {
  it('the TriggerAuthentication takes sasl, tls, username and password from existing Secret keys', () => {
    const auths = only<ITriggerAuthentication>('TriggerAuthentication');
    expect(auths.length).toBeGreaterThan(0);
    for (const auth of auths) {
      const refs = auth.spec?.secretTargetRef ?? [];
      expect(refs.map((r) => r.parameter).sort()).toEqual(['password', 'sasl', 'tls', 'username']);
      for (const ref of refs) expect(() => secretValue(ref.name, ref.key)).not.toThrow();
      const value = (parameter: string) => {
        const ref = refs.find((r) => r.parameter === parameter);
        return ref ? secretValue(ref.name, ref.key) : undefined;
      };
      // KEDA spells the mechanisms its own way (scram_sha512, not scram-sha-512).
      expect(['none', 'plaintext', 'scram_sha256', 'scram_sha512']).toContain(value('sasl'));
      expect(['enable', 'disable']).toContain(value('tls'));
    }
  });

  it('the Secret is a template whose placeholders say to replace them', () => {
    const text = readFileSync(join(K8S_DIR, 'base', 'secret.yaml'), 'utf8');
    expect(text).toMatch(/REPLACE/);
    for (const secret of secrets) {
      expect(secret.data, 'placeholders are readable stringData, not base64').toBeUndefined();
      expect(Object.keys(secret.stringData ?? {}).length).toBeGreaterThan(0);
    }
  });
});
