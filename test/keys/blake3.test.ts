import { blake3 } from '@noble/hashes/blake3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blake3KeyedBlock, blake3KeyWords } from '../../src/keys/blake3.js';

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** XOF bytes 64*first .. 64*(first+count) from blake3KeyedBlock, as hex. */
function xofHex(key: Uint8Array, msg: Uint8Array, first: number, count: number): string {
  const kw = blake3KeyWords(key);
  const out = new Uint32Array(16);
  let s = '';
  for (let t = first; t < first + count; t++) {
    blake3KeyedBlock(kw, msg, msg.length, t, out);
    s += hex(new Uint8Array(out.buffer));
  }
  return s;
}

describe('blake3KeyedBlock: official BLAKE3 test vectors (keyed_hash)', () => {
  // BLAKE3-team/BLAKE3 test_vectors/test_vectors.json: key "whats the Elvish word for friend",
  // input byte i = i % 251, 131 bytes of extended output per case. Only the cases of one block
  // (input_len <= 64) apply here; the file's cases of that size are lengths 0 and 1.
  const key = new TextEncoder().encode('whats the Elvish word for friend');
  const input = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);
  const vectors: [number, string][] = [
    [
      0,
      '92b2b75604ed3c761f9d6f62392c8a9227ad0ea3f09573e783f1498a4ed60d26b18171a2f22a4b94822c701f107153dba24918c4bae4d2945c20ece13387627d3b73cbf97b797d5e59948c7ef788f54372df45e45e4293c7dc18c1d41144a9758be58960856be1eabbe22c2653190de560ca3b2ac4aa692a9210694254c371e851bc8f',
    ],
    [
      1,
      '6d7878dfff2f485635d39013278ae14f1454b8c0a3a2d34bc1ab38228a80c95b6568c0490609413006fbd428eb3fd14e7756d90f73a4725fad147f7bf70fd61c4e0cf7074885e92b0e3f125978b4154986d4fb202a3f331a3fb6cf349a3a70e49990f98fe4289761c8602c4e6ab1138d31d3b62218078b2f3ba9a88e1d08d0dd4cea11',
    ],
  ];
  for (const [len, expected] of vectors) {
    it(`input_len ${len}: 131 XOF bytes (blocks 0, 1 and the start of 2)`, () => {
      expect(expected.length).toBe(262);
      expect(xofHex(key, input(len), 0, 3).slice(0, 262)).toBe(expected);
    });
  }
});

describe('blake3KeyedBlock equals @noble/hashes blake3(msg, { key, dkLen })', () => {
  it('every length 0..64, counters 0..5, random keys (fast-check, 3,000 cases)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 0, maxLength: 64 }),
        (key, msg) => {
          const expected = hex(blake3(msg, { key, dkLen: 64 * 6 }));
          expect(xofHex(key, msg, 0, 6)).toBe(expected);
        },
      ),
      { numRuns: 3000, seed: 0x52b3 },
    );
  });

  it('each length 0..64 at least once, including the block-boundary lengths 63 and 64', () => {
    for (let len = 0; len <= 64; len++) {
      const key = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + len) & 255);
      const msg = Uint8Array.from({ length: len }, (_, i) => (i * 13 + 5) & 255);
      expect(xofHex(key, msg, 0, 6)).toBe(hex(blake3(msg, { key, dkLen: 64 * 6 })));
    }
  });

  it('hashes only msgLen bytes of a longer, reused buffer', () => {
    const key = new Uint8Array(32).fill(9);
    const kw = blake3KeyWords(key);
    const buffer = new Uint8Array(64).fill(0xee);
    const out = new Uint32Array(16);
    for (let len = 0; len <= 64; len++) {
      blake3KeyedBlock(kw, buffer, len, 1, out);
      const expected = blake3(buffer.subarray(0, len), { key, dkLen: 128 }).subarray(64);
      expect(hex(new Uint8Array(out.buffer))).toBe(hex(expected));
    }
  });
});

describe('blake3KeyedBlock boundary checks', () => {
  const kw = blake3KeyWords(new Uint8Array(32));
  const out = new Uint32Array(16);
  it('refuses bad keys, lengths, counters and output buffers', () => {
    expect(() => blake3KeyWords(new Uint8Array(31))).toThrow(TypeError);
    expect(() => blake3KeyedBlock(new Uint32Array(7), new Uint8Array(1), 1, 0, out)).toThrow(TypeError);
    expect(() => blake3KeyedBlock(kw, new Uint8Array(65), 65, 0, out)).toThrow(RangeError);
    expect(() => blake3KeyedBlock(kw, new Uint8Array(4), 5, 0, out)).toThrow(RangeError);
    expect(() => blake3KeyedBlock(kw, new Uint8Array(4), 1.5, 0, out)).toThrow(RangeError);
    expect(() => blake3KeyedBlock(kw, new Uint8Array(4), 4, -1, out)).toThrow(RangeError);
    expect(() => blake3KeyedBlock(kw, new Uint8Array(4), 4, 0.5, out)).toThrow(RangeError);
    expect(() => blake3KeyedBlock(kw, new Uint8Array(4), 4, 0, new Uint32Array(15))).toThrow(RangeError);
  });
  it('counters past 2^32 use the high counter word (blocks differ from the low word alone)', () => {
    const a = new Uint32Array(16);
    const b = new Uint32Array(16);
    blake3KeyedBlock(kw, new Uint8Array(0), 0, 5, a);
    blake3KeyedBlock(kw, new Uint8Array(0), 0, 2 ** 32 + 5, b);
    expect(hex(new Uint8Array(a.buffer))).not.toBe(hex(new Uint8Array(b.buffer)));
  });
});
