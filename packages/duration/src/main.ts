import { runMain, runModelService } from '@fleet/core';
import { durationService } from './service.js';

runMain('duration', () => runModelService(durationService));
