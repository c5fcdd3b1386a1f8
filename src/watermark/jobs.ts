import { resolveSchema, type ResolvedSchema } from '../schema/schema.js';
import type { SchemaFile } from '../schema/types.js';
import { profileColumns, profilesToJSON } from '../schema/profile.js';
import { createRenderer, type BatchRenderer, type RenderedBatch, type RowBatch } from './render-batch.js';
import { encodeIndex, ScanHasher, type ScanBatch, type ScanResult } from './scan-batch.js';

/**
 * The work issue hands to worker threads, as messages: the same handler runs in a worker and,
 * when there are none, in the calling thread, so both give the same bytes.
 *
 * - `schema`: the schema and the registry header, sent to every thread once the header is read;
 * - `scan`: a first-pass batch to hash (scan-batch.ts);
 * - `mark`: a second-pass batch to mark for every recipient (render-batch.ts);
 * - `profile`: the column profiles of the registry sample (schema/profile.ts), as JSON text;
 * - `index`: a match set's index file, from its entries (scan-batch.ts).
 */
export interface JobSetup {
  keys: { record: Uint8Array; code: Uint8Array; index: Uint8Array };
  recipients: number;
  cutoff: number;
}

export type Job =
  | { kind: 'schema'; schema: SchemaFile; header: string[] }
  | { kind: 'scan'; batch: ScanBatch; out: ArrayBufferLike | null }
  | { kind: 'mark'; batch: RowBatch; out: ArrayBufferLike | null }
  | { kind: 'profile'; header: string[]; sample: string[][] }
  | { kind: 'index'; entries: { size: number; lo: Uint32Array; hi: Uint32Array; id: Uint32Array } };

export type JobResult = ScanResult | RenderedBatch | string | Uint8Array | null;

/** Runs jobs in one thread; keeps what repays keeping (the marker's cell cache). */
export class JobHandler {
  private readonly setup: JobSetup;
  private schema: ResolvedSchema | null = null;
  private source: { schema: SchemaFile; header: string[] } | null = null;
  private hasher: ScanHasher | null = null;
  private renderer: BatchRenderer | null = null;

  constructor(setup: JobSetup) {
    this.setup = setup;
  }

  /** Runs a job; returns its result and the buffers a worker may move with it. */
  run(job: Job): { result: JobResult; transfer: ArrayBuffer[] } {
    switch (job.kind) {
      case 'schema':
        this.source = { schema: job.schema, header: job.header };
        this.schema = resolveSchema(job.schema, job.header);
        this.hasher = null;
        this.renderer = null;
        return { result: null, transfer: [] };
      case 'scan': {
        this.hasher ??= new ScanHasher(this.resolved(), this.setup.keys);
        const r = this.hasher.hash(job.batch, job.out);
        return { result: r, transfer: movable([r.ids.buffer, ...r.spent]) };
      }
      case 'mark': {
        this.resolved();
        this.renderer ??= createRenderer({ ...this.source!, keys: this.setup.keys, recipients: this.setup.recipients, cutoff: this.setup.cutoff });
        const r = this.renderer.render(job.batch, job.out);
        return { result: r, transfer: movable([r.data.buffer, r.ends.buffer, ...r.spent]) };
      }
      case 'profile':
        return { result: profilesToJSON(profileColumns(job.header, job.sample)), transfer: [] };
      case 'index': {
        const file = encodeIndex(job.entries);
        return { result: file, transfer: movable([file.buffer]) };
      }
    }
  }

  private resolved(): ResolvedSchema {
    if (this.schema === null) throw new Error('issue job before the schema');
    return this.schema;
  }
}

/** The buffers of a job that can move to a worker instead of being copied. */
export function jobTransfer(job: Job): ArrayBuffer[] {
  switch (job.kind) {
    case 'scan':
    case 'mark':
      return movable([job.batch.buffer, job.out]);
    case 'index':
      return movable([job.entries.lo.buffer, job.entries.hi.buffer, job.entries.id.buffer]);
    default:
      return [];
  }
}

/** The buffers that move with a message: shared ones are shared by posting them, not moved. */
export function movable(buffers: (ArrayBufferLike | null)[]): ArrayBuffer[] {
  return buffers.filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
}
