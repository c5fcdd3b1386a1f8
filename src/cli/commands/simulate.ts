import { RollmarkError } from '../../errors.js';
import type { WriteOptions } from '../../lab/attacks.js';
import { parseAttacks, simulateLeak } from '../../lab/simulate.js';
import { parseFlags, required, type CliIo } from '../args.js';

const USAGE =
  'rollmark simulate --copies A.csv,B.csv --attacks SPEC --seed S --out FILE [--tsv] [--latin1] [--gzip] [--no-header]';

/**
 * `rollmark simulate`: fakes a leak from issued copies (see src/lab/simulate.ts for the attack
 * syntax), for tests, benchmarks and demonstrations. Writes only the leak file; one line on stderr.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      copies: { type: 'string' },
      attacks: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      tsv: { type: 'boolean' },
      latin1: { type: 'boolean' },
      gzip: { type: 'boolean' },
      'no-header': { type: 'boolean' },
    },
    USAGE,
  );
  const copies = required(flags.copies, 'copies', USAGE)
    .split(',')
    .map((c) => c.trim());
  if (copies.some((c) => c === '')) throw new RollmarkError('USAGE', `--copies has an empty file name\nusage: ${USAGE}`);
  const attackText = required(flags.attacks, 'attacks', USAGE);
  const seed = required(flags.seed, 'seed', USAGE);
  const out = required(flags.out, 'out', USAGE);

  let attacks;
  try {
    attacks = parseAttacks(attackText);
  } catch (err) {
    // A malformed --attacks value is the caller's mistake: a usage error (exit 2), not a failure.
    if (err instanceof RollmarkError && err.code === 'ATTACK_INVALID') {
      throw new RollmarkError('USAGE', `--attacks: ${err.message}\nusage: ${USAGE}`);
    }
    throw err;
  }
  if (copies.length > 1 && !attacks.some((a) => a.kind === 'collude')) {
    throw new RollmarkError('USAGE', `${copies.length} copies need a collude attack to combine them\nusage: ${USAGE}`);
  }

  const format: WriteOptions = {
    delimiter: flags.tsv ? '\t' : ',',
    encoding: flags.latin1 ? 'latin1' : 'utf8',
    gzip: flags.gzip === true,
    header: flags['no-header'] !== true,
  };
  const result = await simulateLeak({ copies, attacks, seed, out, format });
  io.stderr.write(`rollmark: ${result.description}\n`);
  return 0;
}
