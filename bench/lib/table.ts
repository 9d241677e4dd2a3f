/** The cells of the tables the bench prints: one format for every section. */

/** `x` with `digits` decimals, or `-` when it was not measured (undefined, NaN, ±Infinity). */
export function fixed(x: number | undefined, digits = 0): string {
  return x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

/** One line of a bench table: the label in 44 columns, each cell right-aligned in 12. */
export function tableRow(label: string, ...cells: string[]): string {
  return `${label.padEnd(44)} ${cells.map((cell) => cell.padStart(12)).join(' ')}`;
}
