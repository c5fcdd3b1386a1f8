/**
 * The issue worker: runs the jobs the calling thread posts (jobs.ts) and posts each result back
 * with its buffers transferred. Built as an entry of its own (`dist/issue-worker.js`, `.cjs`),
 * which worker-pool.ts starts from beside the built module.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RollmarkError } from '../errors.js';
import { JobHandler, type Job, type JobSetup } from './jobs.js';

const port = parentPort;
if (port === null) throw new Error('the issue worker runs in a worker thread');
const handler = new JobHandler(workerData as JobSetup);
port.on('message', ({ id, job }: { id: number; job: Job }) => {
  try {
    const { result, transfer } = handler.run(job);
    if (id >= 0) port.postMessage({ id, result }, transfer);
  } catch (err) {
    const e = err as Error;
    port.postMessage({ id, error: { message: e.message, stack: e.stack, code: err instanceof RollmarkError ? err.code : undefined } });
  }
});
