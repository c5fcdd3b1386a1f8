import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, generateSigningKey, isValidPublicKey, publicKeyOf, signBytes, verifyBytes } from '../../src/keys/sign.js';

const h = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// RFC 8032 section 7.1, Test Vectors for Ed25519, TEST 1-3.
const RFC8032 = [
  {
    name: 'TEST 1 (empty message)',
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2 (one byte)',
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3 (two bytes)',
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('Ed25519: RFC 8032 section 7.1 vectors', () => {
  for (const v of RFC8032) {
    it(v.name, () => {
      const secret = h(v.secret);
      const msg = h(v.message);
      expect(hex(publicKeyOf(secret))).toBe(v.public);
      expect(hex(signBytes(secret, msg))).toBe(v.signature);
      expect(verifyBytes(h(v.public), msg, h(v.signature))).toBe(true);
    });
    it(`${v.name}: a flipped bit in message, signature or key fails`, () => {
      const msg = h(v.message + '00');
      expect(verifyBytes(h(v.public), msg, h(v.signature))).toBe(false);
      const sig = h(v.signature);
      sig[5] ^= 1;
      expect(verifyBytes(h(v.public), h(v.message), sig)).toBe(false);
      const pub = h(v.public);
      pub[3] ^= 1;
      expect(verifyBytes(pub, h(v.message), h(v.signature))).toBe(false);
    });
  }

  it('fresh keys sign what node:crypto verifies', () => {
    const secret = generateSigningKey();
    const pub = publicKeyOf(secret);
    const msg = new TextEncoder().encode('rollmark');
    const sig = signBytes(secret, msg);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), pub]);
    const key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(nodeVerify(null, msg, key, sig)).toBe(true);
    expect(verifyBytes(pub, msg, sig)).toBe(true);
  });

  it('malformed inputs verify false, never throw', () => {
    expect(verifyBytes(new Uint8Array(31), new Uint8Array(0), new Uint8Array(64))).toBe(false);
    expect(verifyBytes(new Uint8Array(32), new Uint8Array(0), new Uint8Array(63))).toBe(false);
    expect(verifyBytes(new Uint8Array(32).fill(0xff), new Uint8Array(0), new Uint8Array(64).fill(0xff))).toBe(false);
    expect(isValidPublicKey(h(RFC8032[0].public))).toBe(true);
    expect(() => signBytes(new Uint8Array(31), new Uint8Array(0))).toThrow(TypeError);
  });
});

describe('canonicalJson (RFC 8785 for plain data)', () => {
  it('sorts keys at every depth and drops whitespace', () => {
    const value = { b: [3, { z: 1, a: null }], a: 'x', c: { y: true, x: false } };
    expect(canonicalJson(value)).toBe('{"a":"x","b":[3,{"a":null,"z":1}],"c":{"x":false,"y":true}}');
  });
  it('sorts keys by UTF-16 code units', () => {
    // RFC 8785 section 3.2.3: "\u20ac" (euro) < "\ud83d\ude00" (emoji, surrogates) < "\ufb33".
    expect(canonicalJson({ '\ufb33': 3, '\ud83d\ude00': 2, '\u20ac': 1, '1': 0 })).toBe('{"1":0,"\u20ac":1,"\ud83d\ude00":2,"\ufb33":3}');
  });
  it('serializes numbers and strings as ECMAScript JSON does', () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1, 333333333.33333329, 'a"\\\n\u0001'])).toBe(
      '[1e+21,1e-7,0,0.1,333333333.3333333,"a\\"\\\\\\n\\u0001"]',
    );
  });
  it('leaves out undefined properties and uses toJSON', () => {
    expect(canonicalJson({ a: undefined, d: new Date(0) })).toBe('{"d":"1970-01-01T00:00:00.000Z"}');
  });
  it('refuses what JSON cannot carry faithfully', () => {
    expect(() => canonicalJson({ x: NaN })).toThrow(/not a finite number/);
    expect(() => canonicalJson([Infinity])).toThrow(TypeError);
    expect(() => canonicalJson([undefined])).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
    expect(() => canonicalJson(new Map())).toThrow(TypeError);
    expect(() => canonicalJson(new Uint8Array(2))).toThrow(TypeError);
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    expect(() => canonicalJson(cyc)).toThrow(/cycle/);
  });
  it('allows the same object twice when it is not a cycle', () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: shared })).toBe('{"a":{"k":1},"b":{"k":1}}');
  });
});
