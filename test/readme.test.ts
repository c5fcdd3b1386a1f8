/**
 * The README's reference tables against the code: the error-code table lists exactly the codes
 * of src/errors.ts, and the CLI reference lists exactly the flags each command parses (as do the
 * command's usage line and `rollmark --help`).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../src/errors.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

/** The text of a section, from its heading line to the next heading of its level or above. */
function section(text: string, heading: string): string {
  const level = heading.match(/^#+/)![0].length;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  expect(start, `README has no '${heading}'`).toBeGreaterThanOrEqual(0);
  let end = start + 1;
  while (end < lines.length && !(/^#+ /.test(lines[end]) && lines[end].match(/^#+/)![0].length <= level)) end++;
  return lines.slice(start + 1, end).join('\n');
}

/** The first cell of every body row of the markdown tables in `text`. */
function firstCells(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .map((l) => l.split(/(?<!\\)\|/)[1].trim())
    .filter((c) => c !== '' && c !== 'flag' && c !== 'code');
}

const COMMANDS = ['init', 'synth', 'issue', 'trace', 'verify', 'simulate'];

/** The flags a command's parseFlags options declare, read from its source. */
function parsedFlags(command: string): string[] {
  const src = readFileSync(path.join(ROOT, 'src', 'cli', 'commands', `${command}.ts`), 'utf8');
  const call = src.slice(src.indexOf('parseFlags('));
  const options = call.slice(call.indexOf('{'), call.indexOf('USAGE'));
  return [...options.matchAll(/'?([a-z][a-z0-9-]*)'?: \{ type: '(?:string|boolean)' \}/g)].map((m) => `--${m[1]}`).sort();
}

const flagsIn = (text: string): string[] => [...new Set([...text.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => `--${m[1]}`))].sort();

describe('README error codes', () => {
  it('lists exactly the codes of src/errors.ts, each once', () => {
    const listed = firstCells(section(README, '## Error codes')).flatMap((c) => [...c.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]));
    expect(new Set(listed).size, 'a code listed twice').toBe(listed.length);
    expect([...listed].sort()).toEqual([...ERROR_CODES].sort());
  });
});

describe('README CLI reference', () => {
  const reference = section(README, '## CLI reference');

  it('has every command', () => {
    const headings = [...reference.matchAll(/^### `rollmark ([a-z]+)`$/gm)].map((m) => m[1]);
    expect(headings).toEqual(COMMANDS);
  });

  it.each(COMMANDS)('%s: the flags listed are exactly the flags the command parses', (command) => {
    const parsed = parsedFlags(command);
    expect(parsed.length).toBeGreaterThan(0);
    const listed = firstCells(section(reference, `### \`rollmark ${command}\``)).map((c) => /^`(--[a-z][a-z0-9-]*)/.exec(c)?.[1]);
    expect(listed.every((f) => f !== undefined), `a row without a flag: ${listed}`).toBe(true);
    expect([...(listed as string[])].sort()).toEqual(parsed);
  });

  it.each(COMMANDS)("%s: its usage line and `rollmark --help` name the same flags", (command) => {
    const parsed = parsedFlags(command);
    const src = readFileSync(path.join(ROOT, 'src', 'cli', 'commands', `${command}.ts`), 'utf8');
    const usage = /const USAGE =\s*'([^']*)'/.exec(src)![1];
    expect(flagsIn(usage)).toEqual(parsed);
    const main = readFileSync(path.join(ROOT, 'src', 'cli', 'main.ts'), 'utf8');
    const help = /const USAGE = `([^`]*)`/.exec(main)![1].split('commands:\n')[1];
    const block: string[] = [];
    let inside = false;
    for (const line of help.split('\n')) {
      const m = /^ {2}([a-z]+) /.exec(line);
      if (m) inside = m[1] === command;
      if (inside) block.push(line);
    }
    expect(flagsIn(block.join('\n'))).toEqual(parsed);
  });
});
