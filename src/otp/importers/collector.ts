import type { ImportEntry } from './types.js';
import { BatchTracker } from './google.js';
import { MAX_ENTRIES, checkCount } from './util.js';

/** Gathers the entries of one import (one file, or every file of a folder), numbered in order. */
export class Collector {
  readonly entries: ImportEntry[] = [];
  readonly notes: string[] = [];
  readonly batches = new BatchTracker();

  get next(): number {
    return this.entries.length + 1;
  }

  push(e: ImportEntry): void {
    if (this.entries.length >= MAX_ENTRIES) checkCount(MAX_ENTRIES + 1);
    this.entries.push(e);
  }

  allNotes(): string[] {
    return [...this.batches.notes(), ...this.notes];
  }
}
