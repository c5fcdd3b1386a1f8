import { RollmarkError } from '../errors.js';
import type { CliIo } from './args.js';

type Command = (argv: string[], io: CliIo) => Promise<number>;

/** The commands, loaded lazily so `rollmark verify` does not pay for the watermark engine. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  init: async () => (await import('./commands/init.js')).run,
  synth: async () => (await import('./commands/synth.js')).run,
  issue: async () => (await import('./commands/issue.js')).run,
  trace: async () => (await import('./commands/trace.js')).run,
  verify: async () => (await import('./commands/verify.js')).run,
  simulate: async () => (await import('./commands/simulate.js')).run,
};

const USAGE = `usage: rollmark <command> [options]

commands:
  init     --vault DIR                              create an issuer's vault
  synth    --rows N --out FILE [--seed S] [--preset mx-ine] [--states 09,25] [--as-of YYYY-MM-DD]
           [--quiet]
  issue    --vault DIR --registry FILE --recipients FILE --release ID --out DIR [--schema FILE]
           [--json] [--workers N] [--quiet] [--resume]
  trace    --vault DIR --dump FILE [--release ID] [--registry FILE] [--report FILE] [--html FILE]
           [--json] [--bound P] [--workers N] [--evidence-budget N|all]
           [--lang es|en] [--quiet]
  verify   --vault DIR | --public-key FILE  (--ledger FILE | --receipt FILE | --report FILE) [--json]
           (--vault DIR alone checks the vault's own ledger)
  simulate --copies A.csv,B.csv --attacks SPEC --seed S --out FILE [--tsv] [--latin1] [--gzip] [--no-header]`;

/**
 * Runs one CLI invocation and returns its exit code: 0 success, 2 usage error, 1 anything else,
 * always with one line on stderr naming file, line and problem.
 */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.stdout.write(`${await packageVersion()}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr.write(`rollmark: unknown command '${name}'\n${USAGE}\n`);
    return 2;
  }
  try {
    const command = await load();
    return await command(rest, io);
  } catch (err) {
    return reportFailure(err, io);
  }
}

function reportFailure(err: unknown, io: CliIo): number {
  if (err instanceof RollmarkError) {
    const [first, ...more] = err.code === 'USAGE' ? err.message.split('\n') : [err.format()];
    io.stderr.write(`rollmark: ${err.code === 'USAGE' ? first + ' [USAGE]' : first}\n`);
    for (const line of more) io.stderr.write(line + '\n');
    return err.exitCode;
  }
  const e = err as NodeJS.ErrnoException;
  const detail = e && e.message ? e.message.split('\n')[0] : String(err);
  const file = e && typeof e.path === 'string' ? `${e.path}: ` : '';
  io.stderr.write(`rollmark: ${file}${detail} [${e && e.code ? e.code : 'INTERNAL'}]\n`);
  return 1;
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const { fileURLToPath } = await import('node:url');
  const path = await import('node:path');
  const here = path.dirname(fileURLToPath(import.meta.url));
  const pkg = JSON.parse(await readFile(path.join(here, '..', 'package.json'), 'utf8'));
  return pkg.version as string;
}
