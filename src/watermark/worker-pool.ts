import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { RollmarkError, type ErrorCode } from '../errors.js';
import { JobHandler, jobTransfer, type Job, type JobResult, type JobSetup } from './jobs.js';
import { compiledWorkerFile } from '../compiled-worker.js';

/**
 * Where issue's jobs run: the calling thread, or a pool of worker threads. Callers submit jobs
 * through `OrderedJobs`, which hands results on in submission order, so the copies and the
 * release data are byte for byte the same whatever the thread count.
 */
export interface JobRunner {
  /** Threads running jobs (1: the calling thread). */
  readonly threads: number;
  /** Runs a job on every thread (the schema), before any job submitted after it. */
  broadcast(job: Job): void;
  /** Runs a job on the least busy thread; `weight` is its cost in batches (for balancing). */
  run<T extends JobResult>(job: Job, weight?: number): Promise<T>;
  /** Stops the workers (idempotent; after an error too). */
  close(): Promise<void>;
}

/** Below this registry size the calling thread works alone: starting workers costs more. */
export const MIN_BYTES_FOR_WORKERS = 16 << 20;
const MAX_AUTO_WORKERS = 8;

/**
 * The worker count for a run: `workers` as given (1 = the calling thread only), or by default one
 * per core for registries large enough to repay starting them.
 */
export function resolveWorkers(workers: number | undefined, registryBytes: number): number {
  if (workers !== undefined) {
    if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
      throw new RollmarkError('USAGE', `workers must be an integer from 1 to 256, got ${workers}`);
    }
    return workers;
  }
  if (registryBytes < MIN_BYTES_FOR_WORKERS) return 1;
  return Math.max(1, Math.min(MAX_AUTO_WORKERS, os.availableParallelism()));
}

/**
 * The compiled worker beside this module (`issue-worker.js` beside `index.js`, `.cjs` beside
 * `.cjs`), or null: running from the TypeScript sources (the tests) there is none, and the
 * calling thread does the work instead.
 */
export function workerFile(): string | null {
  return compiledWorkerFile('issue-worker');
}

/** Starts `threads` workers when there is more than one and the worker file exists. */
export function startJobs(setup: JobSetup, threads: number): JobRunner {
  const file = threads > 1 ? workerFile() : null;
  if (file === null) return new InThread(setup);
  return new WorkerPool(file, setup, threads);
}

class InThread implements JobRunner {
  readonly threads = 1;
  private readonly handler: JobHandler;
  constructor(setup: JobSetup) {
    this.handler = new JobHandler(setup);
  }
  broadcast(job: Job): void {
    this.handler.run(job);
  }
  run<T extends JobResult>(job: Job, _weight?: number): Promise<T> {
    try {
      return Promise.resolve(this.handler.run(job).result as T);
    } catch (err) {
      return Promise.reject(err);
    }
  }
  async close(): Promise<void> {}
}

interface Pending {
  worker: number;
  weight: number;
  resolve: (r: JobResult) => void;
  reject: (err: Error) => void;
}

type Reply = { id: number; result: JobResult } | { id: number; error: { message: string; stack?: string; code?: ErrorCode } };

class WorkerPool implements JobRunner {
  readonly threads: number;
  private readonly workers: Worker[];
  private readonly load: number[];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: Error | null = null;
  private closed = false;

  constructor(file: string, setup: JobSetup, n: number) {
    this.workers = [];
    for (let i = 0; i < n; i++) this.workers.push(new Worker(file, { workerData: setup }));
    this.threads = n;
    this.load = this.workers.map(() => 0);
    this.workers.forEach((w, i) => {
      w.on('message', (msg: Reply) => {
        const p = this.pending.get(msg.id);
        if (p === undefined) return;
        this.pending.delete(msg.id);
        this.load[i] -= p.weight;
        if (this.load[i] === 0) w.unref();
        if ('error' in msg) {
          const err = msg.error.code ? new RollmarkError(msg.error.code, msg.error.message) : new Error(msg.error.message);
          if (msg.error.stack) err.stack = msg.error.stack;
          p.reject(err);
        } else {
          p.resolve(msg.result);
        }
      });
      w.on('error', (err) => this.fail(err));
      w.on('exit', (code) => {
        if (!this.closed) this.fail(new RollmarkError('INTERNAL', `an issue worker stopped (exit code ${code})`));
      });
      // Idle workers must not keep the process alive.
      w.unref();
    });
  }

  broadcast(job: Job): void {
    for (const w of this.workers) w.postMessage({ id: -1, job });
  }

  run<T extends JobResult>(job: Job, weight = 1): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    let w = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.load[i] < this.load[w]) w = i;
    const id = this.nextId++;
    const done = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { worker: w, weight, resolve: resolve as (r: JobResult) => void, reject });
    });
    this.load[w] += weight;
    this.workers[w].ref();
    this.workers[w].postMessage({ id, job }, jobTransfer(job));
    return done;
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.fail(new RollmarkError('INTERNAL', 'the issue workers were stopped'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Jobs whose results are consumed in submission order, with a bounded number in flight: the
 * consumer handles the oldest result while the threads work on the next ones.
 */
export class OrderedJobs<T extends JobResult> {
  private readonly queue: Promise<T>[] = [];
  constructor(
    private readonly runner: JobRunner,
    private readonly consume: (result: T) => Promise<void> | void,
    private readonly limit = 2 * runner.threads,
  ) {}

  get inFlight(): number {
    return this.queue.length;
  }

  async submit(job: Job): Promise<void> {
    const p = this.runner.run<T>(job);
    p.catch(() => undefined);
    this.queue.push(p);
    while (this.queue.length >= Math.max(1, this.limit)) await this.consume(await this.queue.shift()!);
  }

  /** Consumes every result still to come. */
  async drain(): Promise<void> {
    while (this.queue.length > 0) await this.consume(await this.queue.shift()!);
  }
}
