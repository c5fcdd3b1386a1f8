/**
 * CSV I/O shared by both rivers: the byte-level scanner (hot path), the csv-parse reader
 * (general path), the writer, atomic files and shard planning.
 */
export {
  CsvScanner,
  DEFAULT_MAX_FIELDS,
  DEFAULT_MAX_RECORD_BYTES,
  delimiterByte,
  fieldEquals,
  fieldInt,
  fieldLength,
  fieldString,
  recordFields,
  scanFile,
  scanStream,
  type RecordCallback,
  type ScanFileOptions,
  type ScannedRecord,
  type ScannerOptions,
} from './scanner.js';
export { readCsv, readCsvFile, readCsvTable, type CsvRow, type CsvTable, type ReadCsvOptions } from './read.js';
export {
  BufferedWriter,
  csvField,
  csvLine,
  writeFinished,
  type BufferedWriterOptions,
  type WriteSummary,
} from './write.js';
export { openAtomicFile, openAtomicWriter, type AtomicFile, type AtomicFileOptions, type AtomicWriter } from './atomic.js';
export { findCut, lineAtOffset, planShards, type ByteRange, type PlanShardsOptions } from './shards.js';
