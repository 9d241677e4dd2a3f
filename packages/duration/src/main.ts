import { runMain } from '@fleet/core';
import { createModelProcess } from '@fleet/scoring';
import { durationService } from './service.js';

runMain('duration', async () => (await createModelProcess(durationService)).run());
