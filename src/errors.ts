/**
 * Every failure rollmark reports is a RollmarkError: a stable code (like csv-parse's
 * CSV_QUOTE_NOT_CLOSED), the file, line and column where they apply, and a one-line message.
 * The CLI prints `format()` and exits with `exitCode`; nothing else reaches the user.
 */
/** Every code a RollmarkError can carry (README's error-code table lists exactly these). */
export const ERROR_CODES = [
  // usage (exit 2)
  'USAGE',
  // vault and keys
  'VAULT_EXISTS',
  'VAULT_MISSING',
  'VAULT_PERMISSIONS',
  'VAULT_CORRUPT',
  // ledger, receipts, reports
  'LEDGER_BAD_JSON',
  'LEDGER_BAD_SIGNATURE',
  'LEDGER_BROKEN_CHAIN',
  'LEDGER_BAD_ENTRY',
  'LEDGER_LOCKED',
  'RELEASE_REUSED',
  'RELEASE_UNKNOWN',
  'RECEIPT_INVALID',
  'REPORT_INVALID',
  'PUBLIC_KEY_INVALID',
  // schema and inputs
  'SCHEMA_INVALID',
  'RECIPIENTS_INVALID',
  'CSV_QUOTE_NOT_CLOSED',
  'CSV_INVALID_CLOSING_QUOTE',
  'CSV_INVALID_OPENING_QUOTE',
  'CSV_COLUMN_COUNT',
  'CSV_ENCODING',
  'CSV_MISSING_COLUMN',
  'CSV_EMPTY',
  'CSV_MALFORMED',
  'DUMP_NOT_TABULAR',
  'REGISTRY_DUPLICATE_KEY',
  'REGISTRY_BAD_KEY',
  'REGISTRY_UNSORTED',
  'REGISTRY_MISMATCH',
  'REGISTRY_BAD_ROW',
  // leak lab: an attack spec or its arguments that cannot be applied
  'ATTACK_INVALID',
  // files
  'FILE_NOT_FOUND',
  'FILE_EXISTS',
  'IO_ERROR',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorPlace {
  file?: string;
  line?: number;
  column?: number | string;
}

export class RollmarkError extends Error {
  readonly code: ErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number | string;

  constructor(code: ErrorCode, message: string, place: ErrorPlace = {}) {
    super(message);
    this.name = 'RollmarkError';
    this.code = code;
    this.file = place.file;
    this.line = place.line;
    this.column = place.column;
  }

  /** 2 for a usage error, 1 for everything else (the contract's exit codes). */
  get exitCode(): 1 | 2 {
    return this.code === 'USAGE' ? 2 : 1;
  }

  /** One line: `file:line:column: message [CODE]`, the place parts only where known. */
  format(): string {
    let where = '';
    if (this.file !== undefined) {
      where = this.file;
      if (this.line !== undefined) where += `:${this.line}`;
      if (this.column !== undefined) where += `:${this.column}`;
      where += ': ';
    } else if (this.line !== undefined) {
      where = `line ${this.line}: `;
    }
    // One line, printable: control characters from an input (a NUL in a file) are shown escaped.
    const message = this.message
      .replace(/\s*\n\s*/g, ' ')
      .replace(/[\x00-\x1f\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return `${where}${message} [${this.code}]`;
  }
}

/** Wraps a Node filesystem error as a RollmarkError naming the file. */
export function ioError(err: unknown, file: string): RollmarkError {
  if (err instanceof RollmarkError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && e.code === 'ENOENT') return new RollmarkError('FILE_NOT_FOUND', 'no such file or folder', { file });
  if (e && e.code === 'EEXIST') return new RollmarkError('FILE_EXISTS', 'already exists', { file });
  const msg = e && typeof e.message === 'string' ? e.message : String(err);
  return new RollmarkError('IO_ERROR', msg, { file });
}
