import * as fs from 'node:fs/promises';
import { RollmarkError, ioError } from '../../errors.js';
import { parseSchema } from '../../schema/schema.js';
import { issueRelease } from '../../watermark/issue.js';
import { parseFlags, positiveInt, required, type CliIo } from '../args.js';
import { progressMeter } from '../progress.js';

const USAGE = 'rollmark issue --vault DIR --registry FILE --recipients FILE --release ID --out DIR [--schema FILE] [--json] [--workers N] [--quiet] [--resume]';

export async function run(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      vault: { type: 'string' },
      registry: { type: 'string' },
      recipients: { type: 'string' },
      release: { type: 'string' },
      out: { type: 'string' },
      schema: { type: 'string' },
      json: { type: 'boolean' },
      quiet: { type: 'boolean' },
      workers: { type: 'string' },
      resume: { type: 'boolean' },
    },
    USAGE,
  );
  const vault = required(flags.vault, 'vault', USAGE);
  const registry = required(flags.registry, 'registry', USAGE);
  const recipients = required(flags.recipients, 'recipients', USAGE);
  const release = required(flags.release, 'release', USAGE);
  const out = required(flags.out, 'out', USAGE);
  let schema;
  if (flags.schema !== undefined) {
    let text: string;
    try {
      text = await fs.readFile(flags.schema, 'utf8');
    } catch (err) {
      throw ioError(err, flags.schema);
    }
    schema = parseSchema(text, flags.schema);
  }
  const progress = progressMeter(io, flags.quiet === true);
  // Two passes over the registry: the share done and the ETA are by its bytes.
  const size = io.stderr.isTTY ? await fs.stat(registry).then((s) => s.size, () => undefined) : undefined;
  const PASS = { check: 'issue pass 1/2 (check)', write: 'issue pass 2/2 (write)' } as const;
  const result = await issueRelease({
    vault,
    registry,
    recipients,
    release,
    outDir: out,
    schema,
    schemaFile: flags.schema,
    workers: flags.workers === undefined ? undefined : positiveInt(flags.workers, 'workers', USAGE),
    resume: flags.resume === true,
    onProgress: (phase, rows, bytes) => progress.update(PASS[phase], rows, bytes, { bytes: size }),
  }).finally(() => progress.clear());
  if (flags.json) {
    io.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } else if (!flags.quiet) {
    io.stderr.write(
      `${result.resumed ? 'finished interrupted release' : 'issued release'} ${result.release}: ${result.registryRows} registry rows, ${result.canaries} canaries, ${result.copies.length} copies in ${out}\n`,
    );
    for (const c of result.copies) io.stderr.write(`  ${c.recipient}: ${c.rows} rows (${c.canaries} canaries) sha256 ${c.sha256}\n`);
  }
  if (result.copies.length === 0) throw new RollmarkError('INTERNAL', 'no copy was written');
  return 0;
}
