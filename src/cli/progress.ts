import type { CliIo } from './args.js';

/** What a progress line shows at one moment. */
export interface ProgressFigures {
  /** Rows done so far. */
  rows: number;
  /** Bytes read (or written) so far, when the step knows them. */
  bytes?: number;
  /** The step's total bytes, when known: gives the share done and the ETA. */
  totalBytes?: number;
  /** The step's total rows, when known and there is no byte total. */
  totalRows?: number;
  /** Time since the command began. */
  elapsedMs: number;
  /**
   * Where the rates are measured from: the rows, bytes and elapsed time when this step (an issue
   * pass) was first seen. Default: zero, the command's start.
   */
  base?: { rows: number; bytes?: number; elapsedMs: number };
}

/** A progress line never reaches the 80th column of a terminal. */
export const PROGRESS_COLUMNS = 79;

/**
 * One progress line (no control characters): `label: ROWS rows, RATE rows/s, MB/s, share done,
 * ETA, elapsed`, each part only where the figures give it (MB/s needs bytes; the share and ETA
 * a total; the rates and ETA some time since `base`). Parts are dropped from the end of the less
 * useful ones (elapsed, then the share) and the label is cut so the line stays within
 * PROGRESS_COLUMNS.
 */
export function formatProgress(label: string, f: ProgressFigures): string {
  const secs = Math.max(0, f.elapsedMs) / 1000;
  const base = f.base ?? { rows: 0, bytes: 0, elapsedMs: 0 };
  const span = Math.max(0, f.elapsedMs - base.elapsedMs) / 1000;
  const rows = `${Math.max(0, Math.floor(f.rows)).toLocaleString('en-US')} rows`;
  const rates: string[] = [];
  let rowRate = 0;
  let byteRate = 0;
  if (span > 0) {
    rowRate = Math.max(0, f.rows - base.rows) / span;
    rates.push(`${compact(rowRate)} rows/s`);
    if (f.bytes !== undefined) {
      byteRate = Math.max(0, f.bytes - (base.bytes ?? 0)) / span;
      rates.push(`${(byteRate / 1e6).toFixed(1)} MB/s`);
    }
  }
  let share: number | null = null;
  let left = 0;
  if (f.totalBytes !== undefined && f.totalBytes > 0 && f.bytes !== undefined) {
    share = f.bytes / f.totalBytes;
    left = byteRate > 0 ? Math.max(0, f.totalBytes - f.bytes) / byteRate : NaN;
  } else if (f.totalRows !== undefined && f.totalRows > 0) {
    share = f.rows / f.totalRows;
    left = rowRate > 0 ? Math.max(0, f.totalRows - f.rows) / rowRate : NaN;
  }
  let pct = '';
  let eta = '';
  if (share !== null) {
    share = Math.min(1, Math.max(0, share));
    pct = `${Math.floor(share * 100)}%`;
    if (Number.isFinite(left)) eta = `ETA ${clock(left)}`;
  }
  const elapsed = `${clock(secs)} elapsed`;
  const candidates = [
    [rows, ...rates, pct, eta, elapsed],
    [rows, ...rates, pct, eta],
    [rows, ...rates, eta],
    [rows, ...rates],
  ];
  const bodies = candidates.map((parts) => parts.filter((p) => p !== '').join(', '));
  // The whole label with as many parts as fit; else the label cut short.
  for (const min of [label.length, Math.min(label.length, 8)]) {
    for (const body of bodies) {
      const room = PROGRESS_COLUMNS - body.length - 2;
      if (room >= min) return `${cut(label, room)}: ${body}`;
    }
  }
  return `${cut(label, 8)}: ${bodies[3]}`.slice(0, PROGRESS_COLUMNS);
}

function cut(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, Math.max(0, n - 1)) + '…';
}

/** 812, 41.2k, 412k, 1.23M. */
function compact(x: number): string {
  if (!Number.isFinite(x) || x < 0) return '0';
  if (x < 1000) return Math.round(x).toString();
  if (x < 1e4) return `${(x / 1e3).toFixed(2)}k`;
  if (x < 1e5) return `${(x / 1e3).toFixed(1)}k`;
  if (x < 999.5e3) return `${Math.round(x / 1e3)}k`;
  if (x < 1e7) return `${(x / 1e6).toFixed(2)}M`;
  return `${(x / 1e6).toFixed(1)}M`;
}

/** 0:07, 12:34, 1:02:03. */
function clock(secs: number): string {
  const s = Math.max(0, Math.round(secs));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export interface ProgressMeter {
  /**
   * Shows a step's figures, at most five times a second. A new `label` is a new step (the
   * second pass of issue): its rates are measured from its first figures (for the first step,
   * from the meter's start unless its first figures are at 0 rows).
   */
  update(label: string, rows: number, bytes?: number, total?: { bytes?: number; rows?: number }): void;
  /** Clears the line. */
  clear(): void;
}

/**
 * Progress on stderr, only when stderr is a terminal and not --quiet: one line rewritten in
 * place (formatProgress). Scripts, pipes and CI logs never see it.
 */
export function progressMeter(io: CliIo, quiet: boolean, now: () => number = Date.now): ProgressMeter {
  if (quiet || !io.stderr.isTTY) return { update: () => undefined, clear: () => undefined };
  const start = now();
  let label: string | null = null;
  let base: ProgressFigures['base'];
  let last = 0;
  let shown = false;
  return {
    update(l, rows, bytes, total) {
      const t = now();
      if (l !== label) {
        // A step's rates run from its first figures; the first step's from the meter's start
        // unless those figures announce its start (0 rows). The first line of a step does not
        // hold back its next one.
        base = label === null && rows !== 0 ? undefined : { rows, bytes, elapsedMs: t - start };
        label = l;
        last = -Infinity;
      } else if (t - last < 200) return;
      else last = t;
      shown = true;
      const f: ProgressFigures = { rows, bytes, totalBytes: total?.bytes, totalRows: total?.rows, elapsedMs: t - start, base };
      io.stderr.write(`\r\x1b[K${formatProgress(l, f)}`);
    },
    clear() {
      if (shown) io.stderr.write('\r\x1b[K');
      shown = false;
    },
  };
}
