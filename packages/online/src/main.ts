import { runMain } from '@fleet/core';
import { createOnlineProcess } from './process.js';

runMain('online', async () => (await createOnlineProcess()).run());
