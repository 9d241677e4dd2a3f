import { runMain } from '@fleet/core';
import { createModelProcess } from '@fleet/scoring';
import { tipService } from './service.js';

runMain('tip', async () => (await createModelProcess(tipService)).run());
