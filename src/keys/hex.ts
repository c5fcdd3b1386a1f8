/**
 * Lowercase hexadecimal, the one text encoding rollmark uses for keys, hashes and signatures.
 * Parsing is strict (exact length, hex digits only) so a damaged key file is refused rather than
 * half-read; callers turn a `null` into an error that names their file.
 * @module
 */
import { bytesToHex } from '@noble/hashes/utils.js';

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/**
 * Bytes of `text` when it is exactly `byteLength` bytes of hex (either case), else null.
 * Never echoes its input: the text may be a secret.
 */
export function parseHex(text: string, byteLength: number): Uint8Array | null {
  if (typeof text !== 'string' || text.length !== 2 * byteLength || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(byteLength);
  for (let i = 0; i < byteLength; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
