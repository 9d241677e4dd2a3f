import type { Command } from '../command.js';

/** Every `fleet` sub-command, in the order `fleet --help` lists them. */
export const commands: Command[] = [];
