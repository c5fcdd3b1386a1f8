// Throughput of the per-row PRF: rollmark's one-block keyed BLAKE3 against @noble/hashes' blake3.
//
//   npm run build && node bench/prf.mjs            (uses ../dist/index.js)
//   node bench/prf.mjs /path/to/module.js          (any build exporting the two functions)
//
// Prints hashes per second for a 24-byte message (about one record key plus a column id), one
// 64-byte output block each, on one core.
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { blake3 } from '@noble/hashes/blake3.js';

const target = process.argv[2] ? pathToFileURL(process.argv[2]).href : new URL('../dist/index.js', import.meta.url).href;
const { blake3KeyWords, blake3KeyedBlock } = await import(target);

const MSG_LEN = 24;
const key = randomBytes(32);
const messages = Array.from({ length: 1024 }, () => new Uint8Array(randomBytes(MSG_LEN)));

function measure(label, n, once) {
  for (let i = 0; i < Math.min(n, 200_000); i++) once(i); // warm up the JIT
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) once(i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const rate = n / seconds;
  console.log(`${label.padEnd(34)} ${(rate / 1e6).toFixed(2).padStart(7)} M hashes/s  (${n} in ${seconds.toFixed(2)} s)`);
  return rate;
}

const keyWords = blake3KeyWords(key);
const out = new Uint32Array(16);
let sink = 0;
const ours = measure('rollmark blake3KeyedBlock', 10_000_000, (i) => {
  blake3KeyedBlock(keyWords, messages[i & 1023], MSG_LEN, 0, out);
  sink ^= out[0];
});
const noble = measure('@noble/hashes blake3 keyed, 64 B', 500_000, (i) => {
  sink ^= blake3(messages[i & 1023], { key, dkLen: 64 })[0];
});
// The checksum keeps the outputs live so the JIT cannot drop the work.
console.log(`speed-up x${(ours / noble).toFixed(1)}  (checksum ${(sink >>> 0).toString(16)})`);
