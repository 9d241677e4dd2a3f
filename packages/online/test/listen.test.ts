import { afterEach, describe, expect, it } from 'vitest';
import type { Server } from 'node:net';
import { isFleetError, MODEL_NAMES } from '@fleet/contract';
import { createLogger, loadConfig } from '@fleet/core';
import { busyPort } from '../../core/test/ops/busy-port.js';
import { onlineEnv } from '../src/env.js';
import type { OnlineModels } from '../src/models.js';
import { createOnlineService } from '../src/service.js';

let held: Server | undefined;
afterEach(() => held?.close());

// Regression: an ONLINE_PORT another process holds ended the service with a raw EADDRINUSE
// stack instead of naming the variable and what to do.
describe('the online service on a port that is taken', () => {
  it('does not start, with FLEET_CONFIG_INVALID naming ONLINE_PORT and the port', async () => {
    const { port, server } = await busyPort('127.0.0.1');
    held = server;
    const config = loadConfig(onlineEnv, { ONLINE_PORT: String(port), ONLINE_HOST: '127.0.0.1' });
    // Never called: the service fails before it answers anything.
    const models = {
      byName: Object.fromEntries(MODEL_NAMES.map((m) => [m, { version: '1.0.0' }])),
      width: 1,
    } as unknown as OnlineModels;
    const service = createOnlineService(config, {
      models,
      logger: createLogger({ service: 'online', level: 'silent' }),
    });
    const err: unknown = await service.start().catch((e: unknown) => e);
    expect(isFleetError(err, 'FLEET_CONFIG_INVALID')).toBe(true);
    expect((err as Error).message).toContain(`ONLINE_PORT=${port}`);
    expect(isFleetError(err) && err.context).toMatchObject({ variable: 'ONLINE_PORT', port, host: '127.0.0.1' });
  });
});
