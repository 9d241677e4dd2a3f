import { FleetError } from '@fleet/contract';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Progress } from '../config.js';
import { which } from '../toolchain.js';
import { ownerOnlyDir } from './paths.js';

/**
 * The broker's certificate subject. Its controller listener asks for client certificates,
 * and the broker's own connections to it authenticate as `User:CN=<this>`, a super user
 * only the holder of the broker's key can be.
 */
export const BROKER_CERT_SUBJECT = 'CN=fleet-secure-broker';

/** The TLS files of the secure broker, PEM. */
export interface TlsFiles {
  /** The CA certificate: what clients trust (`KAFKA_SSL_CA_FILE`) and the broker's truststore. */
  readonly caCert: string;
  /** The broker's private key (PKCS#8) followed by its certificate: a PEM keystore for Kafka. */
  readonly brokerKeystore: string;
}

/** The `openssl` of this machine; a clear error when there is none. */
export function findOpenssl(env: NodeJS.ProcessEnv = process.env): string {
  const bin = which('openssl', env);
  if (!bin)
    throw new FleetError(
      'FLEET_INFRA_FAILED',
      'the secure broker needs `openssl` to make its CA and certificate (Debian/Ubuntu: `apt-get install openssl`)',
    );
  return bin;
}

function openssl(bin: string, args: string[], cwd: string): void {
  const out = spawnSync(bin, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  if (out.status !== 0)
    throw new FleetError('FLEET_INFRA_FAILED', `openssl ${args[0]} failed: ${out.stderr.trim() || out.error?.message}`);
}

/** A fresh EC P-256 key (PKCS#8 PEM, unencrypted: the file's permissions protect it). */
const newKey = (out: string) => ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', out];

/**
 * Makes the CA and the broker's key and certificate once, with the machine's openssl, in
 * `dir` (0700; every file 0600). The broker certificate names 127.0.0.1 and localhost, for
 * server and client use (the broker is its own controller's client). Later calls reuse the
 * files. The CA key stays beside them: nothing else is ever signed with it.
 */
export async function ensureTls(dir: string, onProgress?: Progress): Promise<TlsFiles> {
  const files = { caCert: join(dir, 'ca.pem'), brokerKeystore: join(dir, 'broker.pem') };
  if (existsSync(files.caCert) && existsSync(files.brokerKeystore)) return files;
  const bin = findOpenssl();
  await ownerOnlyDir(dir);
  onProgress?.(`making the secure broker's CA and certificate with ${bin} in ${dir}`);
  const days = ['-days', '3650'];
  openssl(
    bin,
    [
      'req',
      '-x509',
      ...newKey('ca.key'),
      '-out',
      'ca.pem',
      ...days,
      '-subj',
      '/CN=fleet-local-ca',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(bin, ['req', '-new', ...newKey('broker.key'), '-out', 'broker.csr', '-subj', `/${BROKER_CERT_SUBJECT}`], dir);
  await writeFile(
    join(dir, 'broker.ext'),
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'extendedKeyUsage=serverAuth,clientAuth',
      'keyUsage=critical,digitalSignature',
      'basicConstraints=CA:FALSE',
      '',
    ].join('\n'),
  );
  openssl(
    bin,
    [
      'x509',
      '-req',
      '-in',
      'broker.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      ...days,
      '-extfile',
      'broker.ext',
      '-out',
      'broker.crt',
    ],
    dir,
  );
  const keystore =
    (await readFile(join(dir, 'broker.key'), 'utf8')) + (await readFile(join(dir, 'broker.crt'), 'utf8'));
  await writeFile(files.brokerKeystore, keystore, { mode: 0o600 });
  await Promise.all(['broker.csr', 'broker.ext', 'broker.key', 'broker.crt'].map((f) => rm(join(dir, f))));
  await Promise.all(['ca.key', 'ca.pem', 'broker.pem'].map((f) => chmod(join(dir, f), 0o600)));
  return files;
}
