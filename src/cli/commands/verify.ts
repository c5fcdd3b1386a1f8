import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { RollmarkError } from '../../errors.js';
import { toHex } from '../../keys/hex.js';
import { loadPublicKey, loadSignedDocument, type SignedDocumentKind } from '../../vault/documents.js';
import { verifyLedger } from '../../vault/ledger.js';
import { checkVaultPermissions, LEDGER_FILE, PUBLIC_KEY_FILE } from '../../vault/vault.js';
import { parseFlags, type CliIo } from '../args.js';

const USAGE = 'rollmark verify --vault DIR | --public-key FILE  (--ledger FILE | --receipt FILE | --report FILE) [--json]';

/** Why something did not verify: the error's code, message and place. */
export interface VerifyError {
  code: string;
  message: string;
  file?: string;
  line?: number;
}

/** What `rollmark verify --json` prints on stdout. */
export interface VerifyResult {
  version: 1;
  /** Everything asked for verified. */
  valid: boolean;
  /** The issuer's public key used, and its fingerprint (`sha256:` + SHA-256 of its 32 bytes). */
  key: { file: string; publicKey?: string; fingerprint?: string; error?: VerifyError };
  /** The ledger, when one was checked: its entries and head hash (sha256 of the last line). */
  ledger?: { file: string; valid: boolean; entries?: number; head?: string; error?: VerifyError };
  /** Each receipt or report checked, in the order of the flags. */
  documents: VerifiedDocument[];
  /** The first failure (the one line on stderr). */
  error?: VerifyError;
}

export interface VerifiedDocument {
  file: string;
  kind: SignedDocumentKind;
  valid: boolean;
  release?: string | null;
  /** receipt: the recipient and its copy's sha256 and rows. */
  recipient?: string;
  sha256?: string;
  rows?: number;
  /** report: the verdict and the dump's sha256. */
  verdict?: string;
  dumpSha256?: string;
  error?: VerifyError;
}

const asError = (err: unknown): VerifyError => {
  if (!(err instanceof RollmarkError)) throw err;
  const e: VerifyError = { code: err.code, message: err.message.replace(/\s*\n\s*/g, ' ') };
  if (err.file !== undefined) e.file = err.file;
  if (err.line !== undefined) e.line = err.line;
  return e;
};

/**
 * `rollmark verify`: checks the ledger's chain and signatures, or a receipt's or report's
 * signature and kind (a receipt is not a report), against the issuer's public key (from the
 * vault's issuer.pub or a file). With --vault and nothing named, checks the vault's own ledger.
 * One line on stderr per file checked, or with --json one JSON result on stdout; exit 1 naming
 * the first invalid one.
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
      json: { type: 'boolean' },
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
  const documents: [SignedDocumentKind, string | undefined][] = [
    ['receipt', flags.receipt],
    ['report', flags.report],
  ];

  const keyPath = vault !== undefined ? path.join(vault, PUBLIC_KEY_FILE) : (keyFile as string);
  const result: VerifyResult = { version: 1, valid: false, key: { file: keyPath }, documents: [] };
  const lines: string[] = [];
  let first: unknown = null;
  const fail = (err: unknown): VerifyError => {
    const e = asError(err);
    first ??= err;
    result.error ??= e;
    return e;
  };

  let publicKey: Uint8Array | null = null;
  try {
    if (vault !== undefined) await checkVaultPermissions(vault);
    publicKey = await loadPublicKey(keyPath);
    result.key.publicKey = toHex(publicKey);
    result.key.fingerprint = `sha256:${createHash('sha256').update(publicKey).digest('hex')}`;
  } catch (err) {
    result.key.error = fail(err);
  }
  if (publicKey !== null) {
    if (ledger !== undefined) {
      try {
        const { entries, head } = await verifyLedger(ledger, publicKey);
        const n = entries.length;
        result.ledger = { file: ledger, valid: true, entries: n, head };
        lines.push(`${ledger}: ${n} ${n === 1 ? 'entry' : 'entries'}, chain and signatures valid; head sha256 ${head}`);
      } catch (err) {
        result.ledger = { file: ledger, valid: false, error: fail(err) };
      }
    }
    for (const [kind, file] of documents) {
      if (file === undefined) continue;
      try {
        const doc = await loadSignedDocument(file, publicKey, kind);
        result.documents.push(describe(file, kind, doc));
        if (first === null) lines.push(`${file}: ${kind} signature valid`);
      } catch (err) {
        result.documents.push({ file, kind, valid: false, error: fail(err) });
      }
    }
  }
  result.valid = first === null;

  if (flags.json) io.stdout.write(JSON.stringify(result, null, 2) + '\n');
  else for (const line of lines) io.stderr.write(line + '\n');
  if (first !== null) throw first;
  return 0;
}

function describe(file: string, kind: SignedDocumentKind, doc: Record<string, unknown>): VerifiedDocument {
  const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
  if (kind === 'receipt') {
    return {
      file,
      kind,
      valid: true,
      release: str(doc.release),
      recipient: str(doc.recipient),
      sha256: str(doc.sha256),
      rows: typeof doc.rows === 'number' ? doc.rows : undefined,
    };
  }
  const dump = doc.dump as { sha256?: unknown };
  return { file, kind, valid: true, release: doc.release === null ? null : str(doc.release), verdict: str(doc.verdict), dumpSha256: str(dump.sha256) };
}
