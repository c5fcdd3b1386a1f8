import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateSigningKey, isValidPublicKey, publicKeyOf } from '../../src/keys/sign.js';
import { documentKind, loadPublicKey, loadSignedDocument, signDocument, verifyDocument } from '../../src/vault/documents.js';
import { rejects, tempDir } from './helpers.js';

const secret = generateSigningKey();
const pub = publicKeyOf(secret);
const report = {
  version: 1,
  tool: 'rollmark',
  dump: { sha256: 'ab'.repeat(32), rows: 2000, rowsMatched: 1990, rowsRejected: 10 },
  release: 'LN-2026-02',
  verdict: 'attributed',
  falseAccusationBound: 1e-9,
  suspects: [{ recipient: 'MC', implicated: true, pValue: 1e-40, log10PValue: -40.0, score: 12.5 }],
};

describe('signed documents', () => {
  it('sign then verify; the signature is 128 hex characters; the input is not modified', () => {
    const signed = signDocument(report, secret);
    expect(signed.signature).toMatch(/^[0-9a-f]{128}$/);
    expect(verifyDocument(signed, pub)).toBe(true);
    expect('signature' in report).toBe(false);
    expect(signed.suspects[0].recipient).toBe('MC');
  });

  it('survives re-formatting and key order, as a JSON file would', () => {
    const signed = signDocument(report, secret);
    const reordered = JSON.parse(JSON.stringify({ signature: signed.signature, ...report }, null, 2));
    expect(verifyDocument(reordered, pub)).toBe(true);
  });

  it('fails when any value changes, under another key, or without a signature', () => {
    const signed = signDocument(report, secret);
    const tampered = JSON.parse(JSON.stringify(signed));
    tampered.suspects[0].recipient = 'PRI';
    expect(verifyDocument(tampered, pub)).toBe(false);
    const added = { ...signed, note: 'x' };
    expect(verifyDocument(added, pub)).toBe(false);
    expect(verifyDocument(signed, publicKeyOf(generateSigningKey()))).toBe(false);
    const { signature: _s, ...bare } = signed;
    expect(verifyDocument(bare, pub)).toBe(false);
    expect(verifyDocument({ ...signed, signature: 'zz' }, pub)).toBe(false);
    expect(verifyDocument(null, pub)).toBe(false);
    expect(verifyDocument([signed], pub)).toBe(false);
  });

  it('tells a receipt from a trace report by its shape; verifyDocument with a kind checks it', () => {
    const receipt = { version: 1, type: 'receipt', release: 'LN-2026-02', recipient: 'MC', sha256: 'ab'.repeat(32), rows: 10 };
    expect(documentKind(report)).toBe('report');
    expect(documentKind(receipt)).toBe('receipt');
    for (const drop of ['version', 'tool', 'verdict', 'suspects', 'dump']) {
      const { [drop]: _gone, ...rest } = report as Record<string, unknown>;
      expect(documentKind(rest), drop).toBe(null);
    }
    expect(documentKind({ ...report, tool: 'other' })).toBe(null);
    expect(documentKind({ ...receipt, type: 'copy' })).toBe(null);
    expect(documentKind([receipt])).toBe(null);
    const r = signDocument(report, secret);
    const c = signDocument(receipt, secret);
    expect(verifyDocument(r, pub, 'report')).toBe(true);
    expect(verifyDocument(c, pub, 'receipt')).toBe(true);
    // Both signatures are the issuer's: only the kind tells them apart.
    expect(verifyDocument(c, pub, 'report')).toBe(false);
    expect(verifyDocument(r, pub, 'receipt')).toBe(false);
    expect(verifyDocument(c, pub)).toBe(true);
  });

  it('re-signing replaces the old signature instead of signing over it', () => {
    const once = signDocument(report, secret);
    const twice = signDocument(once, secret);
    expect(twice.signature).toBe(once.signature); // Ed25519 is deterministic
    expect(verifyDocument(twice, pub)).toBe(true);
  });
});

describe('files', () => {
  it('loadPublicKey reads 64 hex characters with or without a newline', async () => {
    const dir = await tempDir();
    const hex = Buffer.from(pub).toString('hex');
    await fs.writeFile(path.join(dir, 'a.pub'), hex + '\n');
    await fs.writeFile(path.join(dir, 'b.pub'), hex);
    expect(Buffer.from(await loadPublicKey(path.join(dir, 'a.pub'))).toString('hex')).toBe(hex);
    expect(Buffer.from(await loadPublicKey(path.join(dir, 'b.pub'))).toString('hex')).toBe(hex);
  });

  it('loadPublicKey refuses short, non-hex and off-curve keys, naming the file', async () => {
    const dir = await tempDir();
    let offCurve = '';
    for (let i = 2; !offCurve; i++) {
      const y = new Uint8Array(32);
      y[0] = i;
      if (!isValidPublicKey(y)) offCurve = Buffer.from(y).toString('hex');
    }
    for (const [name, text] of [
      ['short.pub', 'ab'.repeat(31) + '\n'],
      ['nothex.pub', 'zz'.repeat(32) + '\n'],
      ['twolines.pub', 'ab'.repeat(32) + '\n\n'],
      ['curve.pub', offCurve + '\n'],
    ]) {
      const file = path.join(dir, name);
      await fs.writeFile(file, text);
      const err = await rejects(() => loadPublicKey(file), 'PUBLIC_KEY_INVALID');
      expect(err.file).toBe(file);
    }
    await rejects(() => loadPublicKey(path.join(dir, 'missing.pub')), 'FILE_NOT_FOUND');
  });

  it('loadSignedDocument accepts a signed report and names the file of a bad one', async () => {
    const dir = await tempDir();
    const good = path.join(dir, 'report.json');
    await fs.writeFile(good, JSON.stringify(signDocument(report, secret), null, 2));
    expect((await loadSignedDocument(good, pub, 'report')).release).toBe('LN-2026-02');

    const bad = path.join(dir, 'bad.json');
    const tampered = { ...signDocument(report, secret), verdict: 'no-recipient' };
    await fs.writeFile(bad, JSON.stringify(tampered));
    expect((await rejects(() => loadSignedDocument(bad, pub, 'report'), 'REPORT_INVALID')).file).toBe(bad);
    await rejects(() => loadSignedDocument(bad, pub, 'receipt'), 'RECEIPT_INVALID');

    // A validly signed document of the other kind: refused, with a line that says what it is.
    const receipt = path.join(dir, 'PA.receipt.json');
    await fs.writeFile(receipt, JSON.stringify(signDocument({ version: 1, type: 'receipt', release: 'R', recipient: 'PA' }, secret)));
    expect((await rejects(() => loadSignedDocument(receipt, pub, 'report'), 'REPORT_INVALID')).message).toBe('is a receipt, not a trace report');
    expect((await rejects(() => loadSignedDocument(good, pub, 'receipt'), 'RECEIPT_INVALID')).message).toBe('is a trace report, not a receipt');
    expect((await loadSignedDocument(receipt, pub, 'receipt')).recipient).toBe('PA');
    // A receipt naming its issuer: accepted under that key, refused when it names another one.
    const named = path.join(dir, 'named.receipt.json');
    await fs.writeFile(named, JSON.stringify(signDocument({ version: 1, type: 'receipt', release: 'R', recipient: 'PA', issuer: Buffer.from(pub).toString('hex') }, secret)));
    expect((await loadSignedDocument(named, pub, 'receipt')).recipient).toBe('PA');
    const stranger = path.join(dir, 'stranger.receipt.json');
    const otherKey = Buffer.from(publicKeyOf(generateSigningKey())).toString('hex');
    await fs.writeFile(stranger, JSON.stringify(signDocument({ version: 1, type: 'receipt', release: 'R', recipient: 'PA', issuer: otherKey }, secret)));
    expect((await rejects(() => loadSignedDocument(stranger, pub, 'receipt'), 'RECEIPT_INVALID')).message).toMatch(/names issuer .* not the key it was checked with/);
    const other = path.join(dir, 'other.json');
    await fs.writeFile(other, JSON.stringify(signDocument({ hello: 'world' }, secret)));
    expect((await rejects(() => loadSignedDocument(other, pub, 'report'), 'REPORT_INVALID')).message).toBe(
      "is not a trace report (no version, tool 'rollmark', verdict, suspects, dump)",
    );

    const notJson = path.join(dir, 'x.json');
    await fs.writeFile(notJson, '{"version":');
    await rejects(() => loadSignedDocument(notJson, pub, 'report'), 'REPORT_INVALID');
    await fs.writeFile(notJson, JSON.stringify(report));
    expect((await rejects(() => loadSignedDocument(notJson, pub, 'report'), 'REPORT_INVALID')).message).toContain('no signature');
  });
});
