import type { BadRow } from './params.ts';
import type { Rng } from './rng.ts';
import type { TextFileWriter } from './writer.ts';

/** One way a row can be wrong: the source column it breaks, and the single contract check that catches it. */
export interface BadKind {
  kind: string;
  column: string;
  field: string;
  check: BadRow['check'];
  reason: string;
}

interface Registration {
  file: string;
  writer: TextFileWriter;
  kinds: BadKind[];
  /** Lines before the first data row (1 for a CSV header, 0 for NDJSON/Parquet). */
  lineOffset: number;
  /** Writes one bad row of the given kind to the writer; returns the bad value. */
  emit: (kind: BadKind) => string | number | null;
  gap: number;
  count: number;
}

/**
 * Decides where deliberately bad rows go. Each bad row is an *extra* row with its own fresh id
 * (never a corrupted copy of a real record), so the generated truth — customers, orders,
 * transactions — is exactly what loads, and each bad row fails exactly one check without
 * dragging dependants into quarantine. Gaps between bad rows are geometric, drawn from their own
 * random stream, so the data itself does not depend on the bad-row rate.
 *
 * @example
 * const h = bad.register('shop/orders.csv', writer, kinds, 1, (k) => writeBadOrder(k));
 * writer.row(goodRow); bad.after(h);
 */
export class BadRows {
  readonly entries: BadRow[] = [];
  private readonly regs: Registration[] = [];

  constructor(
    private readonly rng: Rng,
    private readonly rate: number,
  ) {}

  register(file: string, writer: TextFileWriter, kinds: BadKind[], lineOffset: number, emit: Registration['emit']): number {
    this.regs.push({ file, writer, kinds, lineOffset, emit, gap: this.nextGap(), count: 0 });
    return this.regs.length - 1;
  }

  /** Call after each good row of a registered file. */
  after(handle: number): void {
    const r = this.regs[handle];
    if (--r.gap < 0) {
      this.inject(r);
      r.gap = this.nextGap();
    }
  }

  /** Gives every registered file that has rows but no bad row yet one bad row at its end. */
  finish(): void {
    for (const r of this.regs) if (r.count === 0 && r.writer.rows > 0) this.inject(r);
  }

  countFor(file: string): number {
    return this.regs.find((r) => r.file === file)?.count ?? 0;
  }

  private inject(r: Registration): void {
    const kind = r.kinds[Math.floor(this.rng.float() * r.kinds.length)];
    const value = r.emit(kind);
    r.count++;
    this.entries.push({
      file: r.file,
      row: r.writer.rows,
      line: r.writer.rows + r.lineOffset,
      column: kind.column,
      field: kind.field,
      check: kind.check,
      kind: kind.kind,
      reason: kind.reason,
      value,
    });
  }

  private nextGap(): number {
    if (this.rate <= 0) return Number.MAX_SAFE_INTEGER;
    return Math.floor(Math.log(this.rng.open()) / Math.log(1 - this.rate));
  }
}
