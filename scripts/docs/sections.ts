/**
 * Generated sections of markdown files: the text between `<!-- generated:NAME begin -->` and
 * `<!-- generated:NAME end -->` belongs to a generator (scripts/docs/generate.ts), never to a
 * person. Sections are emitted already formatted by prettier, so `prettier --check .` passes
 * and a test can compare a committed section with its source exactly.
 */
import { fileURLToPath } from 'node:url';

/** The repository root, with a trailing slash; generated files are named relative to it. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const begin = (name: string): string => `<!-- generated:${name} begin -->`;
const end = (name: string): string => `<!-- generated:${name} end -->`;

function bounds(markdown: string, name: string, file: string): { from: number; to: number } {
  const from = markdown.indexOf(begin(name));
  const to = markdown.indexOf(end(name));
  if (from < 0 || to < from) {
    throw new Error(`${file} has no generated section '${name}' (${begin(name)} … ${end(name)})`);
  }
  if (markdown.indexOf(begin(name), from + 1) >= 0) throw new Error(`${file} has section '${name}' twice`);
  return { from: from + begin(name).length, to };
}

/** The content of section `name` of `markdown`, without the markers and surrounding blank lines. */
export function sectionOf(markdown: string, name: string, file = 'the file'): string {
  const { from, to } = bounds(markdown, name, file);
  return markdown.slice(from, to).trim();
}

/** `markdown` with the content of section `name` replaced by `content`. */
export function replaceSection(markdown: string, name: string, content: string, file = 'the file'): string {
  const { from, to } = bounds(markdown, name, file);
  return `${markdown.slice(0, from)}\n\n${content.trim()}\n\n${markdown.slice(to)}`;
}

/** `text` formatted by prettier with the repository's settings, as the file at `path` would be. */
export async function prettierFormat(text: string, path: string): Promise<string> {
  // Loaded on use: the bench and the fault suite import this module for REPO_ROOT only.
  const { format, resolveConfig } = await import('prettier');
  const options = (await resolveConfig(path)) ?? {};
  return format(text, { ...options, filepath: path });
}

/** Markdown built by a generator, formatted (tables padded) as it will sit in `file`. */
export async function markdown(lines: ReadonlyArray<string>, file = 'README.md'): Promise<string> {
  return (await prettierFormat(lines.join('\n'), file)).trim();
}

/**
 * The lines of a markdown table; `align` has one letter per column, `r` for right-aligned
 * (figures), anything else for left.
 */
export function table(header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>, align = ''): string[] {
  const rule = header.map((_, i) => (align[i] === 'r' ? '--:' : '---'));
  const line = (cells: ReadonlyArray<string>): string =>
    `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), `| ${rule.join(' | ')} |`, ...rows.map(line)];
}
