/**
 * Bugs the fuzz tests found, one minimal reproduction each, kept as regression tests now that
 * they are fixed: each states the behaviour the contract asks for. (The fuzz harness fails on
 * any recurrence too: control characters, crash messages and stray usage errors are failures.)
 */
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, type CliResult } from './harness.js';

let dir: string;
let vault: string;
let recipients: string;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rollmark-known-bugs-'));
  vault = path.join(dir, 'vault');
  expect((await cli(['init', '--vault', vault])).code).toBe(0);
  recipients = path.join(dir, 'recipients.csv');
  await fsp.writeFile(recipients, 'id,name\nPA,Partido Azul\nPV,Partido Verde\n');
});
afterAll(async () => {
  if (dir) await fsp.rm(dir, { recursive: true, force: true });
});

/** The contract's failure: exit 1, one printable line naming the file, `[CODE]`. */
function expectCleanFailure(r: CliResult, code: string, file: string): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(new RegExp(`^rollmark: .* \\[${code}\\]\\n$`));
  expect(r.stderr.slice(0, -1), 'control characters in the error line').not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/);
  expect(r.stderr).toContain(file);
}

describe('known bugs (reproductions)', () => {
  // BUG 1: the message of a JSON parse failure quotes the input, control characters included:
  // a report (or schema, receipt) holding "\r," prints `rollmark: FILE: not valid JSON:
  // Unexpected token ',', "\r," is not valid JSON [REPORT_INVALID]`, whose carriage return makes a
  // terminal overwrite the start of the line (and an ESC sequence from a hostile file would be
  // sent to the terminal as is). Expected: one printable line.
  it('a report holding a carriage return fails with one printable line', async () => {
    const f = path.join(dir, 'report.json');
    await fsp.writeFile(f, Buffer.from([13, 44]));
    expectCleanFailure(await cli(['verify', '--vault', vault, '--report', f]), 'REPORT_INVALID', f);
  });

  // BUG 2: a registry row whose CURP has a lowercase state code ("...HzSSDS03") passes the
  // registry checks and then breaks canary composition: exit 2 with `rollmark: curpFor: unknown
  // birth state 'zS' [USAGE]`, no file, no line (the same with claveElectorFor and a bad birth
  // state digit, or a malformed FNAC). Expected: exit 1 naming the registry file and line.
  it('a registry row with a malformed CURP fails naming the file and the group', async () => {
    const reg = path.join(dir, 'registry.csv');
    expect((await cli(['synth', '--rows', '40', '--out', reg, '--seed', 'fuzz'])).code).toBe(0);
    const lines = (await fsp.readFile(reg, 'utf8')).split('\n');
    const header = lines[0].split(',');
    const curp = header.indexOf('CURP');
    // Every row's CURP state letters lowercased: whichever rows canaries borrow from, one is bad.
    const bad = lines.map((l, i) => {
      if (i === 0 || l === '') return l;
      const f = l.split(',');
      f[curp] = f[curp].slice(0, 11) + f[curp].slice(11, 13).toLowerCase() + f[curp].slice(13);
      return f.join(',');
    });
    await fsp.writeFile(reg, bad.join('\n'));
    const r = await cli(['issue', '--vault', vault, '--registry', reg, '--recipients', recipients, '--release', 'BUG-2', '--out', path.join(dir, 'out2'), '--quiet']);
    expectCleanFailure(r, 'REGISTRY_BAD_ROW', reg);
  });

  // BUG 3: a schema whose marks name a family called like an Object.prototype member
  // ("constructor", "toString", "__proto__", "hasOwnProperty", ...) is looked up on a plain
  // object, finds the prototype's member, and throws a TypeError that surfaces as
  // `rollmark: REGISTRY: fam.groups is not iterable [IO_ERROR]`. Expected: SCHEMA_INVALID
  // (unknown family) naming the schema file.
  it('a schema naming a family "constructor" fails as SCHEMA_INVALID', async () => {
    const reg = path.join(dir, 'voters.csv');
    const rows = Array.from({ length: 40 }, (_, i) => `V${1000 + i},R${i},ann,lee,1970-01-0${1 + (i % 9)},${i},oak street,san jose,P${Math.floor(i / 20)}`);
    await fsp.writeFile(reg, ['voter_id,registration_no,first_name,last_name,birth_date,house_no,street,city,precinct', ...rows].join('\n') + '\n');
    const schema = path.join(dir, 'schema.json');
    await fsp.writeFile(
      schema,
      JSON.stringify({
        key: 'voter_id',
        unique: ['registration_no'],
        match: [['first_name', 'last_name', 'birth_date']],
        group: 'precinct',
        marks: [{ column: 'street', families: ['constructor'] }],
        canaries: { per: 50, blocks: [['first_name'], ['last_name']] },
      }),
    );
    const r = await cli(['issue', '--vault', vault, '--registry', reg, '--recipients', recipients, '--release', 'BUG-3', '--out', path.join(dir, 'out3'), '--schema', schema, '--quiet']);
    expectCleanFailure(r, 'SCHEMA_INVALID', schema);
  });
});
