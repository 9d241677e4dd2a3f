import { runModelService } from '@fleet/core';
import { costService } from './service.js';

await runModelService(costService);
