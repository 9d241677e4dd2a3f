import { runMain } from '@fleet/core';
import { createModelProcess } from '@fleet/scoring';
import { costService } from './service.js';

runMain('cost', async () => (await createModelProcess(costService)).run());
