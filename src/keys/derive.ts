/**
 * Per-release, per-purpose keys from the vault's master secret.
 *
 * HKDF-SHA256, RFC 5869 (https://www.rfc-editor.org/rfc/rfc5869), through @noble/hashes:
 *
 *   key = HKDF-Expand(HKDF-Extract(salt = utf8("rollmark/v1"), IKM = master),
 *                     info = utf8(release) || 0x00 || utf8(purpose), L = 32)
 *
 * The fixed salt separates rollmark's keys from any other use of the same secret (RFC 5869
 * section 3.1 allows a constant, application-specific salt). The info string binds each key to
 * one release and one purpose; release ids may not contain U+0000 and purposes are a fixed set
 * without it, so the 0x00 separator makes the encoding injective: no two (release, purpose) pairs
 * share an info string, so no two share a key. Changing any of these bytes changes every mark
 * ever issued: they are part of the format ("v1").
 * @module
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

/** What a derived key is for; one key per purpose per release, never reused across them. */
export type KeyPurpose = 'record' | 'code' | 'canary' | 'index' | 'fragile';

export const KEY_PURPOSES: readonly KeyPurpose[] = ['record', 'code', 'canary', 'index', 'fragile'];

/** HKDF salt: the format's name and version. */
const SALT = new TextEncoder().encode('rollmark/v1');

/** The 32-byte key for `purpose` in `release`, derived from the 32-byte vault master secret. */
export function deriveReleaseKey(master: Uint8Array, release: string, purpose: KeyPurpose): Uint8Array {
  if (!(master instanceof Uint8Array) || master.length !== 32) {
    throw new TypeError('deriveReleaseKey: master must be a 32-byte Uint8Array');
  }
  if (typeof release !== 'string' || release.length === 0 || release.includes('\u0000')) {
    throw new TypeError('deriveReleaseKey: release must be a non-empty string without U+0000');
  }
  if (!KEY_PURPOSES.includes(purpose)) {
    throw new TypeError(`deriveReleaseKey: unknown purpose '${String(purpose)}'`);
  }
  const enc = new TextEncoder();
  const r = enc.encode(release);
  const p = enc.encode(purpose);
  const info = new Uint8Array(r.length + 1 + p.length);
  info.set(r, 0);
  info[r.length] = 0x00;
  info.set(p, r.length + 1);
  return hkdf(sha256, master, SALT, info, 32);
}
