import { ADMIN_PRINCIPAL, FleetError, SERVICE_PRINCIPALS } from '@fleet/contract';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, rename, writeFile } from 'node:fs/promises';

/** The SASL mechanism of the secure broker, as `KAFKA_SASL_MECHANISM` spells it. */
export const SECURE_MECHANISM = 'scram-sha-512';

/** Every SCRAM user of the secure broker: the administrator, then one per service principal. */
export const SECURE_USERS: readonly string[] = [ADMIN_PRINCIPAL, ...SERVICE_PRINCIPALS];

/** The users' passwords, as stored in the credentials file. */
export interface SecureCredentials {
  readonly mechanism: typeof SECURE_MECHANISM;
  /** User name → password. */
  readonly users: Readonly<Record<string, string>>;
}

/** 32 random bytes as hex: nothing the storage tool's `[name=…,password=…]` syntax could misread. */
const newPassword = (): string => randomBytes(32).toString('hex');

/**
 * Reads the credentials file.
 * @throws FleetError FLEET_INFRA_FAILED when there is none yet (the secure broker never started).
 */
export function readCredentials(file: string): SecureCredentials {
  if (!existsSync(file)) {
    throw new FleetError(
      'FLEET_INFRA_FAILED',
      `no credentials at ${file}: the secure broker has not been started yet (npx fleet infra up --secure)`,
    );
  }
  return JSON.parse(readFileSync(file, 'utf8')) as SecureCredentials;
}

/**
 * The credentials of {@link SECURE_USERS}: those already in `file`, and a new random
 * password for each user missing there. Written owner-only (0600), never printed.
 */
export async function ensureCredentials(file: string): Promise<SecureCredentials> {
  const existing = existsSync(file) ? readCredentials(file).users : {};
  const users = Object.fromEntries(SECURE_USERS.map((u) => [u, existing[u] ?? newPassword()]));
  const credentials: SecureCredentials = { mechanism: SECURE_MECHANISM, users };
  if (SECURE_USERS.some((u) => existing[u] === undefined)) {
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, file);
  }
  return credentials;
}
