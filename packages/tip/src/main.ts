import { runMain, runModelService } from '@fleet/core';
import { tipService } from './service.js';

runMain('tip', () => runModelService(tipService));
