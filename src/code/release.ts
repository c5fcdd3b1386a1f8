import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { RollmarkError, ioError } from '../errors.js';
import { deriveReleaseKey } from '../keys/derive.js';
import type { SchemaFile } from '../schema/types.js';
import { decodeMatchTable, type MatchTable } from './match-index.js';

/**
 * What a release keeps in the vault so that trace never needs the registry again:
 *   releases/<id>/manifest.json   recipients, schema, header, code parameters, column profiles
 *   releases/<id>/index-<s>.bin   the matching index of match set s (match-index.ts)
 *   releases/<id>/canaries.json   every group's size and its canaries' ids and fingerprints
 * The manifest's sha256 is written into the release's ledger entry, so trace checks these
 * files against the signed ledger before trusting them.
 */
export interface ReleaseManifest {
  version: 1;
  release: string;
  recipients: { id: string; name: string }[];
  header: string[];
  schema: SchemaFile;
  registry: { file: string; sha256: string; rows: number };
  code: { cutoff: number; classes: string[] };
  index: { files: string[]; entries: number[] };
  canaries: { file: string; count: number; groups: number };
  profiles: unknown;
}

export interface CanaryRecord {
  recordId: number;
  hashHi: number;
  hashLo: number;
  fingerprints: ([number, number] | null)[];
}

export interface CanaryGroup {
  value: string;
  rows: number;
  canaries: CanaryRecord[];
}

export interface CanaryTable {
  groups: CanaryGroup[];
}

/** The per-purpose keys of one release (HKDF from the vault's master secret). */
export interface ReleaseKeys {
  record: Uint8Array;
  code: Uint8Array;
  canary: Uint8Array;
  index: Uint8Array;
}

export function releaseKeys(master: Uint8Array, release: string): ReleaseKeys {
  return {
    record: deriveReleaseKey(master, release, 'record'),
    code: deriveReleaseKey(master, release, 'code'),
    canary: deriveReleaseKey(master, release, 'canary'),
    index: deriveReleaseKey(master, release, 'index'),
  };
}

export interface LoadedRelease {
  manifest: ReleaseManifest;
  manifestSha256: string;
  canaries: CanaryTable;
  /** Loaded on demand: tracing a dump that carries the key column never needs them. */
  loadIndex(): Promise<MatchTable[]>;
}

export async function loadRelease(dir: string): Promise<LoadedRelease> {
  const { createHash } = await import('node:crypto');
  const manifestPath = path.join(dir, 'manifest.json');
  let raw: Buffer;
  try {
    raw = await fs.readFile(manifestPath);
  } catch (err) {
    throw ioError(err, manifestPath);
  }
  let manifest: ReleaseManifest;
  let canaries: CanaryTable;
  try {
    manifest = JSON.parse(raw.toString('utf8'));
    canaries = JSON.parse(await fs.readFile(path.join(dir, manifest.canaries.file), 'utf8'));
  } catch (err) {
    if (err instanceof RollmarkError) throw err;
    throw new RollmarkError('VAULT_CORRUPT', `release data is unreadable: ${(err as Error).message}`, { file: dir });
  }
  return {
    manifest,
    manifestSha256: createHash('sha256').update(raw).digest('hex'),
    canaries,
    async loadIndex() {
      const tables: MatchTable[] = [];
      for (const f of manifest.index.files) {
        const file = path.join(dir, f);
        try {
          tables.push(decodeMatchTable(await fs.readFile(file)));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code) throw ioError(err, file);
          throw new RollmarkError('VAULT_CORRUPT', (err as Error).message, { file });
        }
      }
      return tables;
    },
  };
}
