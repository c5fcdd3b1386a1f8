import * as path from 'node:path';
import { closeVault, initVault, PUBLIC_KEY_FILE } from '../../vault/vault.js';
import { parseFlags, required, type CliIo } from '../args.js';

const USAGE = 'rollmark init --vault DIR';

/** `rollmark init --vault DIR`: creates the vault; stdout stays empty, one line on stderr. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(argv, { vault: { type: 'string' } }, USAGE);
  const dir = required(flags.vault, 'vault', USAGE);
  const vault = await initVault(dir);
  closeVault(vault);
  io.stderr.write(`rollmark: vault created in ${dir}; public key in ${path.join(dir, PUBLIC_KEY_FILE)}\n`);
  return 0;
}
