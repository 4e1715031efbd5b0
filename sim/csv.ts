import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { finished } from "node:stream/promises";
import { DAY_MS } from "./calendar.js";

/** RFC 4180: quote a field that holds a comma, quote or line break, doubling inner quotes. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const datePrefixes: string[] = [];

/** `2024-03-01T` for a day number, memoized. */
function datePrefix(day: number): string {
  const hit = day >= 0 ? datePrefixes[day] : undefined;
  if (hit !== undefined) return hit;
  const prefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
  if (day >= 0 && day < 200_000) datePrefixes[day] = prefix;
  return prefix;
}

/** ISO 8601 UTC at second precision (`2024-03-01T14:03:22Z`). */
export function fastIso(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  const secs = Math.floor((ms - day * DAY_MS) / 1000);
  return `${datePrefix(day)}${TWO_DIGITS[Math.floor(secs / 3600)]}:${TWO_DIGITS[Math.floor(secs / 60) % 60]}:${TWO_DIGITS[secs % 60]}Z`;
}

const CHUNK_BYTES = 1 << 20;
/** Longest row the writer accepts without growing; longer rows get a dedicated buffer. */
const ROW_RESERVE = 8 << 10;
const COMMA = 44;
const NEWLINE = 10;
const QUOTE = 34;

/**
 * A CSV file written as bytes: fields are encoded straight into 1 MB buffers (no per-row strings,
 * so almost no garbage), full buffers queue up, and flush() hands them to the stream with
 * backpressure. Rows are ended with LF; fields are quoted per RFC 4180 when needed.
 */
export class CsvFileWriter {
  readonly path: string;
  rows = 0;
  private buf = Buffer.allocUnsafe(CHUNK_BYTES);
  private pos = 0;
  private rowStart = 0;
  private ready: Buffer[] = [];
  private readyBytes = 0;
  private readonly stream: WriteStream;

  constructor(path: string, columns: readonly string[]) {
    this.path = path;
    // A deep stream buffer lets disk writes overlap with simulation; backpressure still bounds memory.
    this.stream = createWriteStream(path, { highWaterMark: 8 << 20 });
    for (let i = 0; i < columns.length; i++) {
      if (i > 0) this.buf[this.pos++] = COMMA;
      this.text(columns[i]);
    }
    this.buf[this.pos++] = NEWLINE;
    this.rowStart = this.pos;
  }

  /** A field known to be printable ASCII without separators (ids, enums). */
  ascii(s: string): this {
    if (this.pos + s.length + 64 > this.buf.length) this.ensure(s.length);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.pos = p;
    return this;
  }

  /** Free text: quoted when it holds a comma, quote or line break; UTF-8 encoded. */
  text(s: string): this {
    let plain = true;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === COMMA || c === QUOTE || c === NEWLINE || c === 13 || c > 126) {
        plain = false;
        break;
      }
    }
    if (plain) return this.ascii(s);
    const field = csvField(s);
    this.ensure(Buffer.byteLength(field, "utf8"));
    this.pos += this.buf.write(field, this.pos, "utf8");
    return this;
  }

  /** A non-negative or negative integer. */
  int(n: number): this {
    if (n < 0) {
      this.buf[this.pos++] = 45;
      n = -n;
    }
    if (n < 10) {
      this.buf[this.pos++] = 48 + n;
      return this;
    }
    return this.ascii(String(n));
  }

  /** Money with two decimals; zero as "0". */
  money(x: number): this {
    if (x === 0) {
      this.buf[this.pos++] = 48;
      return this;
    }
    let cents = Math.round(x * 100);
    if (cents < 0) {
      this.buf[this.pos++] = 45;
      cents = -cents;
    }
    const whole = Math.floor(cents / 100);
    const frac = cents - whole * 100;
    this.int(whole);
    const b = this.buf;
    b[this.pos++] = 46;
    b[this.pos++] = 48 + Math.floor(frac / 10);
    b[this.pos++] = 48 + (frac % 10);
    return this;
  }

  /** ISO 8601 UTC timestamp at second precision. */
  iso(ms: number): this {
    const day = Math.floor(ms / DAY_MS);
    const secs = Math.floor((ms - day * DAY_MS) / 1000);
    this.ascii(datePrefix(day));
    const b = this.buf;
    let p = this.pos;
    const h = Math.floor(secs / 3600);
    const m = Math.floor(secs / 60) % 60;
    const s = secs % 60;
    b[p++] = 48 + Math.floor(h / 10);
    b[p++] = 48 + (h % 10);
    b[p++] = 58;
    b[p++] = 48 + Math.floor(m / 10);
    b[p++] = 48 + (m % 10);
    b[p++] = 58;
    b[p++] = 48 + Math.floor(s / 10);
    b[p++] = 48 + (s % 10);
    b[p++] = 90;
    this.pos = p;
    return this;
  }

  sep(): this {
    this.buf[this.pos++] = COMMA;
    return this;
  }

  /** Ends the row; moves to a fresh buffer when the current one is nearly full. */
  end(): void {
    this.buf[this.pos++] = NEWLINE;
    this.rows++;
    this.rowStart = this.pos;
    if (this.pos > CHUNK_BYTES - ROW_RESERVE) this.rotate();
  }

  /** True when enough is queued that the caller should await flush(). */
  get full(): boolean {
    return this.readyBytes > 0;
  }

  async flush(): Promise<void> {
    const chunks = this.ready;
    this.ready = [];
    this.readyBytes = 0;
    for (const c of chunks) if (!this.stream.write(c)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    if (this.pos > 0) this.rotate();
    await this.flush();
    this.stream.end();
    await finished(this.stream);
  }

  /** Closes the stream without flushing, after a failure. */
  destroy(): void {
    this.stream.destroy();
  }

  private rotate(): void {
    this.ready.push(this.buf.subarray(0, this.pos));
    this.readyBytes += this.pos;
    this.buf = Buffer.allocUnsafe(CHUNK_BYTES);
    this.pos = 0;
    this.rowStart = 0;
  }

  /** Makes room for an unusually long field by moving the row so far into a bigger buffer. */
  private ensure(bytes: number): void {
    if (this.pos + bytes + 16 <= this.buf.length) return;
    const rowSoFar = this.buf.subarray(this.rowStart, this.pos);
    const next = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, rowSoFar.length + bytes + ROW_RESERVE));
    rowSoFar.copy(next, 0);
    if (this.rowStart > 0) {
      this.ready.push(this.buf.subarray(0, this.rowStart));
      this.readyBytes += this.rowStart;
    }
    this.buf = next;
    this.pos = rowSoFar.length;
    this.rowStart = 0;
  }
}
