/**
 * Reusable output buffers for large JSON responses assembled from pre-serialised pieces (list pages).
 *
 * Why: a page of 200 runs is ~400 KB in ~400 cached pieces. Writing the pieces one by one costs a
 * few hundred bytes of V8 heap per piece (stream bookkeeping) — most of what a list request
 * allocates, and so most of the young-generation collections that make up the latency tail. A fresh
 * 400 KB buffer per response instead would be external memory, which makes V8 run full collections.
 * A buffer from this pool is copied into once (a memcpy), written once, and returned to the pool when
 * the response has closed — by then the socket has either taken the bytes or been torn down, so
 * nothing still reads the memory.
 */

/** Smallest pooled size class (bytes); smaller bodies are concatenated into a fresh buffer. */
export const MIN_POOLED_BYTES = 16 * 1024;
/** Largest pooled size class (bytes); larger bodies get a buffer of their own. */
export const MAX_POOLED_BYTES = 8 * 1024 * 1024;
/** Idle buffers kept per size class. */
const KEEP_PER_CLASS = 8;
/** Idle bytes kept in all (an emulator embedded in a test process should stay small). */
export const MAX_IDLE_BYTES = 16 * 1024 * 1024;

export class OutputPool {
  private readonly free = new Map<number, Buffer[]>();
  private idleBytes = 0;

  /** The size class (a power of two ≥ MIN_POOLED_BYTES) for `length`, or undefined when not pooled. */
  static classOf(length: number): number | undefined {
    if (length < MIN_POOLED_BYTES || length > MAX_POOLED_BYTES) return undefined;
    let size = MIN_POOLED_BYTES;
    while (size < length) size *= 2;
    return size;
  }

  /** A buffer of at least `length` bytes from the pool (allocated when the class has none idle). */
  acquire(length: number): Buffer | undefined {
    const cls = OutputPool.classOf(length);
    if (cls === undefined) return undefined;
    const idle = this.free.get(cls)?.pop();
    if (idle === undefined) return Buffer.allocUnsafeSlow(cls);
    this.idleBytes -= idle.length;
    return idle;
  }

  /** Give a buffer from `acquire` back; kept when its class has room, else left to the GC. */
  release(buf: Buffer): void {
    const cls = buf.length;
    if (OutputPool.classOf(cls) !== cls) return;
    let list = this.free.get(cls);
    if (!list) {
      list = [];
      this.free.set(cls, list);
    }
    if (list.length >= KEEP_PER_CLASS || this.idleBytes + cls > MAX_IDLE_BYTES || list.includes(buf)) return;
    list.push(buf);
    this.idleBytes += cls;
  }

  /** Idle bytes in all (for tests). */
  idleTotal(): number {
    return this.idleBytes;
  }

  /** Idle buffers per size class (for tests). */
  idle(): Record<number, number> {
    return Object.fromEntries([...this.free].map(([k, v]) => [k, v.length]));
  }
}
