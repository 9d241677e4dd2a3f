import { runMain } from '@fleet/core';
import { createMonitorProcess } from './process.js';

runMain('monitor', async () => (await createMonitorProcess()).run());
