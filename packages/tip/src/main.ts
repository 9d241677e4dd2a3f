import { runModelService } from '@fleet/core';
import { tipService } from './service.js';

await runModelService(tipService);
