import { defineConfig } from 'tsup';

export default defineConfig({
  // The workers are entries of their own, started from beside the built module: the issue worker
  // by watermark/worker-pool.ts, the trace worker by attribution/trace.ts.
  entry: {
    index: 'src/index.ts',
    cli: 'src/cli/main.ts',
    'issue-worker': 'src/watermark/worker.ts',
    'trace-worker': 'src/attribution/trace-worker.ts',
  },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  splitting: false,
  shims: true,
});
