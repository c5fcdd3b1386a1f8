/**
 * Ed25519 signatures (RFC 8032, https://www.rfc-editor.org/rfc/rfc8032) through @noble/ed25519,
 * and the canonical JSON that signed documents and ledger entries are signed over.
 *
 * Verification uses noble's strict RFC 8032 section 5.1.7 branch (`zip215: false`): it refuses
 * non-canonical encodings of R, S and the public key, so one signed document has one valid
 * signature encoding. ZIP-215's laxer rules exist for consensus systems, not for evidence.
 *
 * canonicalJson follows RFC 8785 (JSON Canonicalization Scheme) for the values rollmark signs:
 * object keys sorted by UTF-16 code units, no whitespace, strings and numbers serialized as
 * ECMAScript's JSON.stringify does (RFC 8785 section 3.2.2 defines them the same way).
 * @module
 */
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';

// @noble/ed25519 v3 ships without a synchronous SHA-512; its sync API needs one wired in.
ed.hashes.sha512 = sha512;

function assertBytes(value: unknown, length: number, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new TypeError(`${what} must be a ${length}-byte Uint8Array`);
  }
}

/** A fresh 32-byte Ed25519 secret key (the RFC 8032 seed), from the platform CSPRNG. */
export function generateSigningKey(): Uint8Array {
  return ed.utils.randomSecretKey();
}

/** The 32-byte public key of a 32-byte secret key. */
export function publicKeyOf(secret: Uint8Array): Uint8Array {
  assertBytes(secret, 32, 'publicKeyOf: secret');
  return ed.getPublicKey(secret);
}

/** The 64-byte Ed25519 signature of `msg` (deterministic, RFC 8032 section 5.1.6). */
export function signBytes(secret: Uint8Array, msg: Uint8Array): Uint8Array {
  assertBytes(secret, 32, 'signBytes: secret');
  if (!(msg instanceof Uint8Array)) throw new TypeError('signBytes: msg must be a Uint8Array');
  return ed.sign(msg, secret);
}

/** True when `sig` is a valid signature of `msg` under `pub`; false for anything malformed. */
export function verifyBytes(pub: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
  if (!(pub instanceof Uint8Array) || pub.length !== 32) return false;
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return false;
  if (!(msg instanceof Uint8Array)) return false;
  try {
    return ed.verify(sig, msg, pub, { zip215: false });
  } catch {
    // An undecodable point or out-of-range S is simply not a valid signature.
    return false;
  }
}

/** True when `pub` decodes to a point on the curve (the check a public-key file needs). */
export function isValidPublicKey(pub: Uint8Array): boolean {
  if (!(pub instanceof Uint8Array) || pub.length !== 32) return false;
  try {
    ed.Point.fromBytes(pub, false);
    return true;
  } catch {
    return false;
  }
}

/**
 * Canonical JSON text of `value`: sorted keys at every depth, no whitespace. Properties whose
 * value is `undefined` are left out (as JSON.stringify does, so the text matches what a parsed
 * copy of the document would give); objects with `toJSON` (Date) are serialized through it.
 * Throws on what JSON cannot carry faithfully: non-finite numbers, bigint, functions, symbols,
 * `undefined` in arrays, Map, Set, typed arrays and other non-plain objects, and cycles.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, new Set(), '$');
}

function encode(value: unknown, seen: Set<object>, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${path} is ${value}, not a finite number`);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new TypeError(`canonicalJson: ${path} is a ${typeof value}, which JSON cannot carry`);
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj.toJSON === 'function') return encode(obj.toJSON(), seen, path);
  if (seen.has(obj)) throw new TypeError(`canonicalJson: ${path} is a cycle`);
  seen.add(obj);
  let text: string;
  if (Array.isArray(obj)) {
    const parts = obj.map((item, i) => {
      if (item === undefined) throw new TypeError(`canonicalJson: ${path}[${i}] is undefined`);
      return encode(item, seen, `${path}[${i}]`);
    });
    text = `[${parts.join(',')}]`;
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(`canonicalJson: ${path} is a ${proto?.constructor?.name ?? 'non-plain'} object, not plain data`);
    }
    const parts: string[] = [];
    // Default sort compares UTF-16 code units, as RFC 8785 section 3.2.3 requires.
    for (const key of Object.keys(obj).sort()) {
      const item = obj[key];
      if (item === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${encode(item, seen, `${path}.${key}`)}`);
    }
    text = `{${parts.join(',')}}`;
  }
  seen.delete(obj);
  return text;
}
