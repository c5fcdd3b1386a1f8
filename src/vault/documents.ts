/**
 * Signed JSON documents (receipts, trace reports): a JSON object with a `signature` property
 * holding the issuer's Ed25519 signature (RFC 8032), as 128 hex characters, over the UTF-8
 * canonical JSON (keys/sign.ts, RFC 8785) of the same object without `signature`. Because the
 * signature covers the canonical form, a document may be re-formatted or its keys reordered and
 * still verify; any change of a value does not.
 * @module
 */
import * as fs from 'node:fs/promises';
import { RollmarkError, ioError, type ErrorCode } from '../errors.js';
import { parseHex, toHex } from '../keys/hex.js';
import { canonicalJson, isValidPublicKey, signBytes, verifyBytes } from '../keys/sign.js';

const utf8 = new TextEncoder();

/** Returns a copy of `doc` with `signature` set (any signature it had is replaced). */
export function signDocument<T extends object>(doc: T, signingKey: Uint8Array): T & { signature: string } {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new TypeError('signDocument: doc must be a JSON object');
  }
  const { signature: _old, ...body } = doc as T & { signature?: unknown };
  const signature = toHex(signBytes(signingKey, utf8.encode(canonicalJson(body))));
  return { ...body, signature } as T & { signature: string };
}

/**
 * True when `doc` is an object whose `signature` is valid for the rest of it under `publicKey`,
 * and, when `kind` is given, a document of that kind (documentKind): an issuer signs receipts and
 * trace reports with one key, so the signature alone does not tell a receipt from a report.
 */
export function verifyDocument(doc: unknown, publicKey: Uint8Array, kind?: SignedDocumentKind): boolean {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return false;
  if (kind !== undefined && documentKind(doc) !== kind) return false;
  const { signature, ...body } = doc as Record<string, unknown>;
  if (typeof signature !== 'string') return false;
  const sig = parseHex(signature, 64);
  if (sig === null) return false;
  let text: string;
  try {
    text = canonicalJson(body);
  } catch {
    return false;
  }
  return verifyBytes(publicKey, utf8.encode(text), sig);
}

/**
 * Reads an Ed25519 public key file: 64 hex characters, optionally followed by a newline, that
 * decode to a curve point. PUBLIC_KEY_INVALID otherwise; FILE_NOT_FOUND when it is missing.
 */
export async function loadPublicKey(file: string): Promise<Uint8Array> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw ioError(err, file);
  }
  const key = parseHex(text.replace(/\r?\n$/, ''), 32);
  if (key === null) {
    throw new RollmarkError('PUBLIC_KEY_INVALID', 'not an Ed25519 public key (expected 64 hex characters)', { file, line: 1 });
  }
  if (!isValidPublicKey(key)) {
    throw new RollmarkError('PUBLIC_KEY_INVALID', 'not an Ed25519 public key (not a point on the curve)', { file, line: 1 });
  }
  return key;
}

/** Which kind of signed document a file holds, for the error code it fails with. */
export type SignedDocumentKind = 'receipt' | 'report';

const INVALID: Record<SignedDocumentKind, ErrorCode> = { receipt: 'RECEIPT_INVALID', report: 'REPORT_INVALID' };
const KIND_NAME: Record<SignedDocumentKind, string> = { receipt: 'receipt', report: 'trace report' };

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** What a document lacks to be of `kind` (its shape, not its signature); empty when nothing. */
function missingFor(doc: Record<string, unknown>, kind: SignedDocumentKind): string[] {
  if (kind === 'receipt') return doc.type === 'receipt' ? [] : ["type 'receipt'"];
  const missing: string[] = [];
  if (doc.version === undefined) missing.push('version');
  if (doc.tool !== 'rollmark') missing.push("tool 'rollmark'");
  if (typeof doc.verdict !== 'string') missing.push('verdict');
  if (!Array.isArray(doc.suspects)) missing.push('suspects');
  if (!isObject(doc.dump)) missing.push('dump');
  return missing;
}

/**
 * The kind of an issuer-signed document by its shape: a receipt has `type: 'receipt'`; a trace
 * report has `version`, `tool: 'rollmark'`, a `verdict`, `suspects` and `dump`. Null for neither.
 * The signature is not checked here (verifyDocument).
 */
export function documentKind(doc: unknown): SignedDocumentKind | null {
  if (!isObject(doc)) return null;
  if (missingFor(doc, 'receipt').length === 0) return 'receipt';
  if (missingFor(doc, 'report').length === 0) return 'report';
  return null;
}

/**
 * Reads a signed JSON document from `file` and verifies it; returns the parsed document.
 * Throws RECEIPT_INVALID or REPORT_INVALID (by `kind`) naming the file when it is not JSON, not an
 * object, not a document of that kind (documentKind: a receipt is not a report), has no
 * signature, or the signature does not verify.
 */
export async function loadSignedDocument(
  file: string,
  publicKey: Uint8Array,
  kind: SignedDocumentKind,
): Promise<Record<string, unknown> & { signature: string }> {
  const code = INVALID[kind];
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw ioError(err, file);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new RollmarkError(code, `not valid JSON: ${(err as Error).message}`, { file });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new RollmarkError(code, `not a signed ${kind} (expected a JSON object)`, { file });
  }
  // An issuer signs receipts and reports with the same key: the kind is checked apart.
  const found = documentKind(doc);
  if (found !== kind) {
    const what =
      found !== null
        ? `is a ${KIND_NAME[found]}, not a ${KIND_NAME[kind]}`
        : `is not a ${KIND_NAME[kind]} (no ${missingFor(doc as Record<string, unknown>, kind).join(', ')})`;
    throw new RollmarkError(code, what, { file });
  }
  const signature = (doc as Record<string, unknown>).signature;
  if (typeof signature !== 'string') throw new RollmarkError(code, `${kind} has no signature`, { file });
  if (!verifyDocument(doc, publicKey)) {
    throw new RollmarkError(code, `${kind} signature is invalid: the ${kind} was altered or signed by another key`, { file });
  }
  // A receipt names its issuer's public key; a key that signed a receipt naming another issuer is
  // not the issuer it claims, whatever the signature says.
  const issuer = (doc as Record<string, unknown>).issuer;
  if (kind === 'receipt' && issuer !== undefined && (typeof issuer !== 'string' || issuer.toLowerCase() !== toHex(publicKey))) {
    throw new RollmarkError(code, `the receipt names issuer ${String(issuer).slice(0, 16)}..., not the key it was checked with (${toHex(publicKey).slice(0, 16)}...)`, { file });
  }
  return doc as Record<string, unknown> & { signature: string };
}
