import type { Command } from '../command.js';
import { backfillCommand } from './backfill.js';
import { compareCommand } from './compare.js';
import { dashboardCommand } from './dashboard.js';
import { demoCommand } from './demo.js';
import { downCommand } from './down.js';
import { infraCommand } from './infra.js';
import { initCommand } from './init.js';
import { lagCommand } from './lag.js';
import { predictCommand } from './predict.js';
import { promoteCommand, rollbackCommand } from './promote.js';
import { replayCommand } from './replay.js';
import { scaleCommand } from './scale.js';
import { serveCommand } from './serve.js';
import { shadowCommand } from './shadow.js';
import { statusCommand } from './status.js';
import { upCommand } from './up.js';

/** Every `fleet` sub-command, in the order `fleet --help` lists them. */
export const commands: Command[] = [
  demoCommand,
  upCommand,
  initCommand,
  statusCommand,
  scaleCommand,
  lagCommand,
  dashboardCommand,
  replayCommand,
  shadowCommand,
  compareCommand,
  promoteCommand,
  rollbackCommand,
  backfillCommand,
  downCommand,
  predictCommand,
  serveCommand,
  infraCommand,
];
