/** A one-line progress display on stderr: rewritten in place on a terminal, a line every few seconds otherwise. */
export interface Progress {
  update(line: string): void;
  /** Ends the line (and prints the last state when not on a terminal). */
  done(line?: string): void;
}

/** Creates a {@link Progress}; `quiet` prints nothing (for `--json`). */
export function createProgress(quiet = false, everyMs = 2000): Progress {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let pending = '';
  return {
    update(line) {
      if (quiet) return;
      pending = line;
      if (tty) {
        process.stderr.write(`\r\x1b[2K${line}`);
      } else if (Date.now() - last >= everyMs) {
        process.stderr.write(`${line}\n`);
        last = Date.now();
      }
    },
    done(line) {
      if (quiet) return;
      const text = line ?? pending;
      if (tty) process.stderr.write(`\r\x1b[2K${text}\n`);
      else if (text) process.stderr.write(`${text}\n`);
      pending = '';
    },
  };
}
