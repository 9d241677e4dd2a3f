import { runMain } from '@fleet/core';
import { createDecisionProcess } from './process.js';

runMain('decision', async () => (await createDecisionProcess()).run());
