/**
 * Shared ground of the CLI fuzz tests: run `main(argv, io)` in-process with captured output,
 * check the contract's failure discipline, and make malformed inputs from valid ones.
 *
 * The discipline (CONTRACT.md, "Commands"): exit 0, 1 or 2; on failure nothing on stdout and one
 * line on stderr, `rollmark: ... [CODE]` (a usage error may follow its line with the usage);
 * never a stack trace, never an INTERNAL error (an exception rollmark did not expect).
 *
 * Runs: a small number per property in `npm test`; `ROLLMARK_FUZZ_RUNS=100000 npx vitest run
 * test/fuzz` for a long run (the count applies to every property).
 */
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { expect } from 'vitest';
import { main } from '../../src/cli/main.js';

const LONG_RUNS = Number(process.env.ROLLMARK_FUZZ_RUNS ?? '0');
/** Runs per property: the env var when set, else the small default given. */
export function runs(small: number): number {
  return LONG_RUNS > 0 ? LONG_RUNS : small;
}
/**
 * A test timeout: generous for the small form, none to speak of (a day) for a long run, whose
 * speed depends on the machine. (A property that timed out would keep running beside the next
 * test and share its vault.)
 */
export function timeoutFor(small: number, msPerRun: number): number {
  return LONG_RUNS > 0 ? 24 * 3600_000 : Math.max(120_000, small * msPerRun * 3);
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    done();
  }
}

/** Runs the CLI in-process; a throw out of main() is itself a failure of the discipline. */
export async function cli(argv: string[]): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  let code: number;
  try {
    code = await main(argv, { stdout, stderr });
  } catch (err) {
    throw new Error(`main() threw instead of reporting: ${(err as Error)?.stack ?? String(err)}`);
  }
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const LINE = /^rollmark: .* \[([A-Z_]+)\]$/;
/** Characters that break "one line" on a terminal or in a log: C0 controls but tab and newline, DEL, CR, U+2028/9. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/;

/** Messages that betray an exception rollmark did not expect, whatever code it was given. */
const CRASH = /is not iterable|is not a function|Cannot read propert|Cannot set propert|Cannot destructure|is not defined|Maximum call stack|Invalid array length|out of memory/;

/** Cases tried per target, printed at the end of each file. */
export const counts: Record<string, { tried: number; ok: number; codes: Record<string, number> }> = {};

/**
 * Checks one outcome. `mayPass`: the input may happen to be valid (exit 0 is fine then);
 * `usage`: a usage error (exit 2) is a fair answer (the argument itself is what is fuzzed).
 * Returns the error code on failure, 'OK' on success.
 */
export function expectDiscipline(target: string, r: CliResult, opts: { mayPass?: boolean; usage?: boolean } = {}): string {
  const { mayPass = true, usage = false } = opts;
  const c = (counts[target] ??= { tried: 0, ok: 0, codes: {} });
  c.tried++;
  const context = `exit ${r.code}\nstdout: ${JSON.stringify(r.stdout.slice(0, 300))}\nstderr: ${JSON.stringify(r.stderr.slice(0, 600))}`;
  expect([0, 1, 2], context).toContain(r.code);
  expect(r.stderr, context).not.toMatch(/^\s+at .+[:(]/m); // a stack frame
  if (r.code === 0) {
    expect(mayPass, `exit 0 on an input that must fail\n${context}`).toBe(true);
    c.ok++;
    c.codes.OK = (c.codes.OK ?? 0) + 1;
    return 'OK';
  }
  expect(r.stdout, context).toBe('');
  // One printable line: no raw control characters echoed from the input (a carriage return or
  // an escape sequence would rewrite the user's terminal). Fixed once (known-bugs.test.ts).
  expect(r.stderr.replace(/\n$/, ''), `control characters in the error output\n${context}`).not.toMatch(CONTROL);
  const lines = r.stderr.split('\n');
  expect(lines.at(-1), `stderr must end with a newline\n${context}`).toBe('');
  const m = LINE.exec(lines[0]);
  expect(m, `first stderr line must be 'rollmark: ... [CODE]'\n${context}`).not.toBeNull();
  const code = (m as RegExpExecArray)[1];
  expect(code, `an unexpected exception reached the user\n${context}`).not.toBe('INTERNAL');
  expect(lines[0], `an unexpected exception reached the user\n${context}`).not.toMatch(CRASH);
  if (r.code === 1) {
    expect(lines.length, `exit 1 must print exactly one line\n${context}`).toBe(2);
    expect(code, context).not.toBe('USAGE');
  } else {
    expect(code, context).toBe('USAGE');
    expect(usage, `a usage error (exit 2) although the command line was valid\n${context}`).toBe(true);
  }
  c.codes[code] = (c.codes[code] ?? 0) + 1;
  return code;
}

export function printCounts(file: string): void {
  const total = Object.values(counts).reduce((a, c) => a + c.tried, 0);
  const lines = Object.entries(counts).map(
    ([t, c]) => `  ${t}: ${c.tried} cases (${Object.entries(c.codes).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')})`,
  );
  console.log(`fuzz ${file}: ${total} cases tried\n${lines.join('\n')}`);
}

// ---- malformed inputs ---------------------------------------------------------------------------

/** Byte sequences that are not UTF-8 (overlong, surrogate, truncated, out of range). */
const BAD_UTF8 = [[0xff], [0xfe, 0xff], [0xc3], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xf4, 0x90, 0x80, 0x80]];
/** Text that breaks CSV framing. */
const CSV_BITS = ['"', '""', '"a"b', ',', '\n', '\r', '\r\n', '\0', '\t', ';', '\\', '\ufeff', ',"', '"\n'];

export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'text'; at: number; text: string }
  | { kind: 'badUtf8'; at: number; bytes: number[] }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'dupLine'; line: number }
  | { kind: 'dropLine'; line: number }
  | { kind: 'swapLines'; a: number; b: number }
  | { kind: 'dropField'; line: number; field: number }
  | { kind: 'extraField'; line: number; text: string }
  | { kind: 'setField'; line: number; field: number; text: string };

const pos = fc.nat({ max: 1 << 20 });
export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: pos }),
  fc.record({ kind: fc.constant('insert' as const), at: pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('text' as const), at: pos, text: fc.constantFrom(...CSV_BITS) }),
  fc.record({ kind: fc.constant('badUtf8' as const), at: pos, bytes: fc.constantFrom(...BAD_UTF8) }),
  fc.record({ kind: fc.constant('delete' as const), at: pos, len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: pos, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('dupLine' as const), line: pos }),
  fc.record({ kind: fc.constant('dropLine' as const), line: pos }),
  fc.record({ kind: fc.constant('swapLines' as const), a: pos, b: pos }),
  fc.record({ kind: fc.constant('dropField' as const), line: pos, field: pos }),
  fc.record({ kind: fc.constant('extraField' as const), line: pos, text: fc.string({ maxLength: 6 }) }),
  fc.record({
    kind: fc.constant('setField' as const),
    line: pos,
    field: pos,
    text: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('', ' ', '0', '-1', '1e999', 'null', '"', 'ÑÑ', 'A'.repeat(200))),
  }),
);

function splitLines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) {
      out.push(buf.subarray(start));
      return out;
    }
    out.push(buf.subarray(start, nl));
    start = nl + 1;
  }
}

export function mutate(input: Buffer, m: Mutation): Buffer {
  const n = input.length;
  const at = (x: number) => (n === 0 ? 0 : x % (n + 1));
  switch (m.kind) {
    case 'truncate':
      return input.subarray(0, at(m.at));
    case 'insert':
      return Buffer.concat([input.subarray(0, at(m.at)), m.bytes, input.subarray(at(m.at))]);
    case 'text':
      return Buffer.concat([input.subarray(0, at(m.at)), Buffer.from(m.text, 'utf8'), input.subarray(at(m.at))]);
    case 'badUtf8':
      return Buffer.concat([input.subarray(0, at(m.at)), Buffer.from(m.bytes), input.subarray(at(m.at))]);
    case 'delete':
      return Buffer.concat([input.subarray(0, at(m.at)), input.subarray(Math.min(n, at(m.at) + m.len))]);
    case 'flip': {
      if (n === 0) return input;
      const out = Buffer.from(input);
      out[m.at % n] ^= 1 << m.bit;
      return out;
    }
  }
  const lines = splitLines(input);
  const L = lines.length;
  const li = (x: number) => x % L;
  const join = (ls: Buffer[]) => Buffer.concat(ls.flatMap((l, i) => (i === 0 ? [l] : [Buffer.from('\n'), l])));
  switch (m.kind) {
    case 'dupLine':
      return join([...lines.slice(0, li(m.line) + 1), lines[li(m.line)], ...lines.slice(li(m.line) + 1)]);
    case 'dropLine':
      return join(lines.filter((_, i) => i !== li(m.line)));
    case 'swapLines': {
      const ls = lines.slice();
      [ls[li(m.a)], ls[li(m.b)]] = [ls[li(m.b)], ls[li(m.a)]];
      return join(ls);
    }
    case 'dropField':
    case 'extraField':
    case 'setField': {
      // Lines as latin1 strings keep every byte; inserted text goes in as its UTF-8 bytes.
      const bytes = (t: string) => Buffer.from(t, 'utf8').toString('latin1');
      const ls = lines.slice();
      const fields = ls[li(m.line)].toString('latin1').split(',');
      if (m.kind === 'dropField') fields.splice(m.field % fields.length, 1);
      else if (m.kind === 'extraField') fields.push(bytes(m.text));
      else fields[m.field % fields.length] = bytes(m.text);
      ls[li(m.line)] = Buffer.from(fields.join(','), 'latin1');
      return join(ls);
    }
  }
  return input;
}

/**
 * A malformed version of `valid`: a few mutations of it, random bytes, a CSV of random strings,
 * or one of the degenerate files (empty, a newline, NULs).
 */
export function malformed(valid: Buffer, weightValid = 8): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: weightValid, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 4 }).map((ms) => ms.reduce(mutate, valid)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.array(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...CSV_BITS)), { maxLength: 6 }), { maxLength: 8 })
        .map((rows) => Buffer.from(rows.map((r) => r.join(',')).join('\n'), 'utf8')),
    },
    { weight: 1, arbitrary: fc.constantFrom(Buffer.alloc(0), Buffer.from('\n'), Buffer.alloc(64), Buffer.from('\ufeff'), Buffer.from('"')) },
  );
}
