import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RollmarkError } from '../errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's flags with Node's own parser; any unknown flag, missing value or stray
 * positional becomes a USAGE error (exit 2) carrying the command's usage line.
 */
export function parseFlags<T extends OptionSpec>(argv: string[], options: T, usage: string) {
  try {
    const { values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
    return values as { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string };
  } catch (err) {
    throw new RollmarkError('USAGE', `${(err as Error).message.split('\n')[0]}\nusage: ${usage}`);
  }
}

export function required(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value === '') {
    throw new RollmarkError('USAGE', `missing --${flag}\nusage: ${usage}`);
  }
  return value;
}

export function positiveInt(value: string, flag: string, usage: string): number {
  if (!/^\d+$/.test(value) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    throw new RollmarkError('USAGE', `--${flag} must be a positive integer, got '${value}'\nusage: ${usage}`);
  }
  return Number(value);
}

/** Where a command writes: stdout for requested output, stderr for progress and errors. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}
