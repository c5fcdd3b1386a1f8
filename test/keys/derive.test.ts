import { hkdfSync } from 'node:crypto';
import { expand, extract, hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { deriveReleaseKey, KEY_PURPOSES } from '../../src/keys/derive.js';

const h = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const range = (from: number, to: number) => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('HKDF-SHA256 wiring: RFC 5869 appendix A test cases 1-3', () => {
  const cases = [
    {
      name: 'A.1 basic',
      ikm: new Uint8Array(22).fill(0x0b),
      salt: range(0x00, 0x0c),
      info: range(0xf0, 0xf9),
      L: 42,
      prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
      okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    },
    {
      name: 'A.2 longer inputs and outputs',
      ikm: range(0x00, 0x4f),
      salt: range(0x60, 0xaf),
      info: range(0xb0, 0xff),
      L: 82,
      prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
      okm:
        'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    },
    {
      name: 'A.3 zero-length salt and info',
      ikm: new Uint8Array(22).fill(0x0b),
      salt: new Uint8Array(0),
      info: new Uint8Array(0),
      L: 42,
      prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
      okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const prk = extract(sha256, c.ikm, c.salt);
      expect(hex(prk)).toBe(c.prk);
      expect(hex(expand(sha256, prk, c.info, c.L))).toBe(c.okm);
      expect(hex(hkdf(sha256, c.ikm, c.salt, c.info, c.L))).toBe(c.okm);
    });
  }
});

describe('deriveReleaseKey', () => {
  const master = h('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');

  it('is HKDF-SHA256(master, salt "rollmark/v1", info release || 0x00 || purpose), checked with node:crypto', () => {
    const info = Buffer.concat([Buffer.from('LN-2026-02'), Buffer.from([0]), Buffer.from('code')]);
    const expected = Buffer.from(hkdfSync('sha256', master, Buffer.from('rollmark/v1'), info, 32));
    expect(hex(deriveReleaseKey(master, 'LN-2026-02', 'code'))).toBe(expected.toString('hex'));
  });

  it('gives 32 bytes, the same for the same inputs', () => {
    const a = deriveReleaseKey(master, 'R1', 'record');
    expect(a.length).toBe(32);
    expect(hex(deriveReleaseKey(master, 'R1', 'record'))).toBe(hex(a));
  });

  it('gives a distinct key for every release and purpose, and for another master', () => {
    const seen = new Set<string>();
    const other = new Uint8Array(32).fill(7);
    for (const m of [master, other]) {
      for (const release of ['R1', 'R2', 'R1a', 'LN-2026-02', 'é']) {
        for (const purpose of KEY_PURPOSES) seen.add(hex(deriveReleaseKey(m, release, purpose)));
      }
    }
    expect(seen.size).toBe(2 * 5 * KEY_PURPOSES.length);
  });

  it('refuses a wrong-size master, an empty or NUL-bearing release, an unknown purpose', () => {
    expect(() => deriveReleaseKey(new Uint8Array(31), 'R', 'code')).toThrow(TypeError);
    expect(() => deriveReleaseKey(master, '', 'code')).toThrow(TypeError);
    expect(() => deriveReleaseKey(master, 'a\u0000code', 'record')).toThrow(TypeError);
    expect(() => deriveReleaseKey(master, 'R', 'positions' as never)).toThrow(TypeError);
  });
});
