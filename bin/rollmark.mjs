#!/usr/bin/env node
import { main } from '../dist/cli.js';

// A command whose work stops without finishing (a promise that never settles) must not look
// like success: the exit code stays 1 unless main() returns.
let finished = false;
process.exitCode = 1;
process.on('exit', () => {
  if (!finished) process.stderr.write('rollmark: the command stopped before it finished [INTERNAL]\n');
});
main(process.argv.slice(2)).then((code) => {
  finished = true;
  process.exitCode = code;
});
