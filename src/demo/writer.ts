import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A text file written in large synchronous chunks: each row is encoded straight into a 4 MiB
 * buffer that is flushed when full, so millions of rows cost one write call per chunk and no
 * long-lived strings (string concatenation would keep every row alive as a rope until the
 * flush, and the garbage collector would spend more time than the generator). `rows` counts
 * data rows (not the header): the row number the manifest uses for bad rows.
 */
export class TextFileWriter {
  private fd: number;
  private buf = Buffer.allocUnsafe(1 << 22);
  private pos = 0;
  /** Rows gathered as one short string before encoding (fewer, larger encode calls). */
  private pending = '';
  rows = 0;
  bytes = 0;

  constructor(
    readonly path: string,
    header?: string,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w');
    if (header !== undefined) this.put(header);
  }

  /** Appends one data row (without its newline). */
  row(line: string): void {
    this.put(line);
    this.rows++;
  }

  private put(line: string): void {
    this.pending += line;
    this.pending += '\n';
    if (this.pending.length > 65_536) this.encode();
  }

  private encode(): void {
    const s = this.pending;
    this.pending = '';
    // A UTF-16 code unit is at most 3 bytes of UTF-8.
    if (this.pos + s.length * 3 > this.buf.length) {
      this.flushBuffer();
      if (s.length * 3 > this.buf.length) this.buf = Buffer.allocUnsafe(s.length * 3);
    }
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  flush(): void {
    this.encode();
    this.flushBuffer();
  }

  private flushBuffer(): void {
    let off = 0;
    while (off < this.pos) off += writeSync(this.fd, this.buf, off, this.pos - off);
    this.bytes += this.pos;
    this.pos = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/** A CSV header line from column names. */
export function csvHeader(columns: readonly string[]): string {
  return columns.map(csv).join(',');
}

/** One CSV field (RFC 4180): quoted only when it holds a comma, quote or line break. */
export function csv(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** A JSON string literal. */
export function json(value: string): string {
  return JSON.stringify(value);
}

/** Money with two decimals from integer cents ("-12.50"). */
export function money(cents: number): string {
  const neg = cents < 0;
  const abs = neg ? -cents : cents;
  const whole = Math.floor(abs / 100);
  const frac = abs - whole * 100;
  return `${neg ? '-' : ''}${whole}.${frac < 10 ? '0' : ''}${frac}`;
}
