import * as path from 'node:path';
import { RollmarkError } from '../../errors.js';
import { loadPublicKey, loadSignedDocument, type SignedDocumentKind } from '../../vault/documents.js';
import { verifyLedger } from '../../vault/ledger.js';
import { checkVaultPermissions, LEDGER_FILE, PUBLIC_KEY_FILE } from '../../vault/vault.js';
import { parseFlags, type CliIo } from '../args.js';

const USAGE = 'rollmark verify --vault DIR | --public-key FILE  (--ledger FILE | --receipt FILE | --report FILE)';

/**
 * `rollmark verify`: checks the ledger's chain and signatures, or a receipt's or report's
 * signature, against the issuer's public key (from the vault's issuer.pub or a file). With
 * --vault and nothing named, checks the vault's own ledger. One line on stderr per file checked;
 * exit 1 at the first invalid one.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const flags = parseFlags(
    argv,
    {
      vault: { type: 'string' },
      'public-key': { type: 'string' },
      ledger: { type: 'string' },
      receipt: { type: 'string' },
      report: { type: 'string' },
    },
    USAGE,
  );
  const vault = flags.vault;
  const keyFile = flags['public-key'];
  if ((vault === undefined) === (keyFile === undefined) || vault === '' || keyFile === '') {
    throw new RollmarkError('USAGE', `give exactly one of --vault DIR or --public-key FILE\nusage: ${USAGE}`);
  }
  let ledger = flags.ledger;
  if (ledger === undefined && flags.receipt === undefined && flags.report === undefined) {
    if (vault === undefined) {
      throw new RollmarkError('USAGE', `give --ledger FILE, --receipt FILE or --report FILE\nusage: ${USAGE}`);
    }
    ledger = path.join(vault, LEDGER_FILE);
  }
  if (vault !== undefined) await checkVaultPermissions(vault);
  const publicKey = await loadPublicKey(vault !== undefined ? path.join(vault, PUBLIC_KEY_FILE) : (keyFile as string));

  if (ledger !== undefined) {
    const { entries, head } = await verifyLedger(ledger, publicKey);
    const n = entries.length;
    io.stderr.write(`${ledger}: ${n} ${n === 1 ? 'entry' : 'entries'}, chain and signatures valid; head sha256 ${head}\n`);
  }
  const documents: [SignedDocumentKind, string | undefined][] = [
    ['receipt', flags.receipt],
    ['report', flags.report],
  ];
  for (const [kind, file] of documents) {
    if (file === undefined) continue;
    await loadSignedDocument(file, publicKey, kind);
    io.stderr.write(`${file}: ${kind} signature valid\n`);
  }
  return 0;
}
