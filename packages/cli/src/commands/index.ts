import type { Command } from '../command.js';
import { demoCommand } from './demo.js';
import { predictCommand } from './predict.js';

/** Every `fleet` sub-command, in the order `fleet --help` lists them. */
export const commands: Command[] = [demoCommand, predictCommand];
