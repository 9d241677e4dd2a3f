import { FleetError } from '@fleet/contract';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const INSTALL_HINT =
  'Install it (Debian/Ubuntu: `apt-get install openjdk-17-jdk maven`; a JDK 21+ such as ' +
  'Temurin for the registry) or point the FLEET_* variable at it.';

/** A Java runtime found on this machine. */
export interface JavaRuntime {
  /** Path of the `java` executable. */
  readonly bin: string;
  /** Feature release, e.g. 17 or 25. */
  readonly major: number;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds an executable on PATH, or undefined. */
export function which(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function parseMajor(version: string): number {
  const [first, second] = version.split('.').map(Number);
  return first === 1 ? second : first;
}

/** Java's major version from a JDK's `release` file, else from `java -version`. */
function javaMajor(javaHome: string | undefined, bin: string): number | undefined {
  if (javaHome) {
    try {
      const m = /JAVA_VERSION="([^"]+)"/.exec(readFileSync(join(javaHome, 'release'), 'utf8'));
      if (m) return parseMajor(m[1]);
    } catch {
      // no release file: ask the binary
    }
  }
  const out = spawnSync(bin, ['-version'], { encoding: 'utf8', timeout: 10_000 });
  const m = /version "([^"]+)"/.exec(`${out.stderr}${out.stdout}`);
  return m ? parseMajor(m[1]) : undefined;
}

function fromHome(home: string): JavaRuntime | undefined {
  const bin = join(home, 'bin', 'java');
  if (!isExecutable(bin)) return undefined;
  const major = javaMajor(home, bin);
  return major === undefined ? undefined : { bin, major };
}

const JVM_ROOTS = ['/usr/lib/jvm', '/usr/java', '/opt/java', '/Library/Java/JavaVirtualMachines'];

function installedJdks(): JavaRuntime[] {
  const found: JavaRuntime[] = [];
  for (const root of JVM_ROOTS) {
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    for (const name of names) {
      const rt = fromHome(join(root, name)) ?? fromHome(join(root, name, 'Contents', 'Home'));
      if (rt) found.push(rt);
    }
  }
  return found.sort((a, b) => b.major - a.major);
}

/**
 * The Java that runs Kafka: `FLEET_KAFKA_JAVA_HOME`, else `JAVA_HOME`, else `java` on PATH.
 * Kafka 4.x brokers need Java 17 or newer.
 */
export function findKafkaJava(env: NodeJS.ProcessEnv = process.env): JavaRuntime {
  const home = env.FLEET_KAFKA_JAVA_HOME || env.JAVA_HOME;
  const rt = home ? fromHome(home) : undefined;
  const bin = rt?.bin ?? which('java', env);
  const major = rt?.major ?? (bin ? javaMajor(undefined, bin) : undefined);
  if (!bin || major === undefined)
    throw new FleetError('FLEET_INFRA_FAILED', `Kafka needs Java 17+, but no \`java\` was found. ${INSTALL_HINT}`);
  if (major < 17)
    throw new FleetError('FLEET_INFRA_FAILED', `Kafka needs Java 17+, but ${bin} is Java ${major}. ${INSTALL_HINT}`);
  return { bin, major };
}

/**
 * The Java that runs Apicurio Registry 3.3 (built for Java 21): `FLEET_REGISTRY_JAVA_HOME`,
 * else the newest JDK >= 21 installed under the usual JVM folders, else `java` on PATH if >= 21.
 */
export function findRegistryJava(env: NodeJS.ProcessEnv = process.env): JavaRuntime {
  const override = env.FLEET_REGISTRY_JAVA_HOME;
  if (override) {
    const rt = fromHome(override);
    if (!rt || rt.major < 21) {
      throw new FleetError(
        'FLEET_INFRA_FAILED',
        `FLEET_REGISTRY_JAVA_HOME=${override} is not a JDK 21+ (found ${rt ? `Java ${rt.major}` : 'no bin/java'}).`,
      );
    }
    return rt;
  }
  const jdk = installedJdks().find((rt) => rt.major >= 21);
  if (jdk) return jdk;
  const bin = which('java', env);
  const major = bin ? javaMajor(undefined, bin) : undefined;
  if (bin && major !== undefined && major >= 21) return { bin, major };
  throw new FleetError(
    'FLEET_INFRA_FAILED',
    `Apicurio Registry 3.3 needs Java 21+, and none was found under ${JVM_ROOTS.join(', ')} or on PATH. ` +
      'Install a JDK 21+ (e.g. `apt-get install openjdk-21-jdk` or Temurin 21/25) or set FLEET_REGISTRY_JAVA_HOME.',
  );
}

/** The `mvn` executable (`FLEET_MVN`, else PATH); Maven fetches the jars and the registry archive. */
export function findMaven(env: NodeJS.ProcessEnv = process.env): string {
  const mvn = env.FLEET_MVN || which('mvn', env);
  if (!mvn)
    throw new FleetError(
      'FLEET_INFRA_FAILED',
      `Maven (\`mvn\`) was not found on PATH; it fetches Kafka and the registry from Maven Central. ${INSTALL_HINT}`,
    );
  return mvn;
}
