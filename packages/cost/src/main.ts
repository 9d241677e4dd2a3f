import { runMain, runModelService } from '@fleet/core';
import { costService } from './service.js';

runMain('cost', () => runModelService(costService));
