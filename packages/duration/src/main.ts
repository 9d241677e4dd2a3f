import { runModelService } from '@fleet/core';
import { durationService } from './service.js';

await runModelService(durationService);
