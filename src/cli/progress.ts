import type { CliIo } from './args.js';

/**
 * Progress on stderr, only when stderr is a terminal and not --quiet: one line rewritten in
 * place with the rate; `null` clears it. Scripts and CI logs never see it.
 */
export function progressLine(io: CliIo, quiet: boolean): (text: string | null) => void {
  if (quiet || !io.stderr.isTTY) return () => undefined;
  const start = Date.now();
  let last = 0;
  return (text) => {
    if (text === null) {
      io.stderr.write('\r\x1b[K');
      return;
    }
    const now = Date.now();
    if (now - last < 200) return;
    last = now;
    const secs = ((now - start) / 1000).toFixed(1);
    io.stderr.write(`\r\x1b[K${text} (${secs} s)`);
  };
}
