import { createWriteStream } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import * as path from 'node:path';
import { ioError, RollmarkError } from '../../errors.js';
import { resolveSynthOptions, type SynthOptions } from '../../synth/options.js';
import { writeSyntheticRegistry, type SynthProgress } from '../../synth/registry.js';
import { parseFlags, positiveInt, required, type CliIo } from '../args.js';
import { progressMeter } from '../progress.js';

const USAGE = 'rollmark synth --rows N --out FILE [--seed S] [--preset mx-ine] [--states 09,25] [--as-of YYYY-MM-DD] [--quiet]';
const PRESETS = ['mx-ine'];

/**
 * `rollmark synth`: writes a synthetic registry CSV. The file appears under its name only when
 * complete (written to a temporary name in the same folder, synced, then renamed); stdout stays
 * empty and progress goes to stderr only when it is a terminal (and not --quiet).
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      rows: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      preset: { type: 'string' },
      states: { type: 'string' },
      'as-of': { type: 'string' },
      quiet: { type: 'boolean' },
    },
    USAGE,
  );
  const rows = positiveInt(required(flags.rows, 'rows', USAGE), 'rows', USAGE);
  const out = required(flags.out, 'out', USAGE);
  const preset = flags.preset ?? 'mx-ine';
  if (!PRESETS.includes(preset)) throw new RollmarkError('USAGE', `unknown preset '${preset}' (known: ${PRESETS.join(', ')})\nusage: ${USAGE}`);
  const opts: SynthOptions = { rows, seed: flags.seed, asOf: flags['as-of'] };
  if (flags.states !== undefined) opts.states = flags.states.split(',');
  try {
    resolveSynthOptions(opts);
  } catch (err) {
    if (err instanceof RollmarkError && err.code === 'USAGE') throw new RollmarkError('USAGE', `${err.message}\nusage: ${USAGE}`);
    throw err;
  }

  const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  const progress = io.stderr.isTTY && flags.quiet !== true ? progressLine(io) : undefined;
  const stream = createWriteStream(tmp, { flags: 'wx', highWaterMark: 1 << 20 });
  try {
    await once(stream, 'open');
    await writeSyntheticRegistry(opts, stream, progress?.update);
    stream.end();
    await finished(stream);
    // fsync acts on the file, so a fresh descriptor makes the data durable before the rename.
    const fh = await open(tmp, 'r');
    await fh.sync().finally(() => fh.close());
    await rename(tmp, out);
    progress?.finish(out);
    return 0;
  } catch (err) {
    progress?.clear();
    stream.destroy();
    await unlink(tmp).catch(() => undefined);
    throw err instanceof RollmarkError ? err : ioError(err, out);
  }
}

/** The progress line (rows, rows/s, MB/s, ETA against --rows), then one line naming the file. */
function progressLine(io: CliIo) {
  const meter = progressMeter(io, false);
  let shown = false;
  return {
    update(p: SynthProgress): void {
      shown = true;
      meter.update('synth', p.rows, p.bytes, { rows: p.totalRows });
    },
    finish(out: string): void {
      if (shown) io.stderr.write(`\rrollmark: synth wrote ${out}\x1b[K\n`);
    },
    clear: () => meter.clear(),
  };
}
