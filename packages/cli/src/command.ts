/** One `fleet` sub-command. */
export interface Command {
  /** The word after `fleet`, e.g. `predict`. */
  readonly name: string;
  /** One line for `fleet --help`. */
  readonly summary: string;
  /** The full `--help` text of the command. */
  readonly usage: string;
  /** Runs the command with the arguments after its name; resolves to the exit code. */
  run(argv: readonly string[]): Promise<number>;
}
