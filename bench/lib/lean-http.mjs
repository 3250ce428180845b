// A lean HTTP/1.1 GET client for the latency figures: one keep-alive connection per in-flight call,
// every socket read lands in one buffer allocated once per connection (net `onread`), and a response
// is reduced to its status, its length, the first bytes of its body and its last bytes.
//
// Why it exists: a general-purpose client allocates a fresh buffer for every socket read. Receiving a
// 400 KB list page ~1,400 times a second is ~560 MB/s of short-lived external memory, and V8 answers
// that with a major GC in the *client* every ~100 ms (3–7 ms each, measured with a GC observer) — which
// was the p99 of the run-list figure, not the server. This client produces almost no garbage, so
// its round trips are the server's and the kernel's. It only speaks what the benchmark needs: GET,
// keep-alive, a `Content-Length` response (anything else is an error, never a silent misread).
import net from "node:net";

const CRLFCRLF = Buffer.from("\r\n\r\n");
const MAX_HEAD = 16 * 1024;

/**
 * @typedef {{ status: number, bodyBytes: number, head: Buffer, tail: Buffer }} LeanResponse
 *   `head`: the first ≤ `headBytes` bytes of the body; `tail`: its last ≤ `tailBytes` bytes.
 */

export class LeanConnection {
  /**
   * @param {string} base `http://host:port`
   * @param {{ readBufferBytes?: number, headBytes?: number, tailBytes?: number }} [o]
   */
  constructor(base, o = {}) {
    const u = new URL(base);
    if (u.protocol !== "http:") throw new Error(`lean client speaks http only, not ${u.protocol}`);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.hostHeader = u.host;
    this.readBuffer = Buffer.allocUnsafe(o.readBufferBytes ?? 256 * 1024);
    this.socket = undefined;
    this.pending = undefined;
    // Per-call state lives in buffers allocated once: a response's `head`/`tail` are views that the
    // next call on this connection overwrites, so read them before calling again.
    this.headerBuf = Buffer.allocUnsafe(MAX_HEAD);
    this.bodyHeadBuf = Buffer.allocUnsafe(o.headBytes ?? 64);
    this.tailBuf = Buffer.allocUnsafe(o.tailBytes ?? 1024);
  }

  /** @returns {Promise<void>} */
  connect() {
    return new Promise((resolve, reject) => {
      const socket = net.connect({
        host: this.host,
        port: this.port,
        noDelay: true,
        onread: { buffer: this.readBuffer, callback: (n, buf) => this.#onRead(n, buf) },
      });
      socket.once("connect", () => {
        socket.off("error", reject);
        socket.on("error", (err) => this.#fail(err));
        socket.on("close", () => this.#fail(new Error("connection closed by the server")));
        this.socket = socket;
        resolve();
      });
      socket.once("error", reject);
    });
  }

  /**
   * One GET on this connection (connecting first when needed); one call at a time.
   * @param {string} path
   * @returns {Promise<LeanResponse>}
   */
  async get(path) {
    if (this.pending) throw new Error("LeanConnection: one request at a time");
    if (!this.socket || this.socket.destroyed) await this.connect();
    return new Promise((resolve, reject) => {
      this.pending = {
        resolve,
        reject,
        head: this.headerBuf,
        headLen: 0,
        status: 0,
        remaining: -1, // body bytes still to come; -1 while the header is being read
        bodyBytes: 0,
        bodyHead: this.bodyHeadBuf,
        bodyHeadLen: 0,
        tail: this.tailBuf,
        tailLen: 0,
        close: false,
      };
      this.socket.write(
        `GET ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\naccept: application/json\r\n\r\n`,
      );
    });
  }

  close() {
    this.socket?.destroy();
    this.socket = undefined;
  }

  #fail(err) {
    const p = this.pending;
    this.pending = undefined;
    this.socket?.destroy();
    this.socket = undefined;
    p?.reject(err);
  }

  #onRead(n, buf) {
    const p = this.pending;
    if (!p) {
      this.#fail(new Error(`${n} unexpected bytes from the server between responses`));
      return false;
    }
    let at = 0;
    if (p.remaining < 0) {
      // Header: copy into the per-call header buffer until the blank line.
      const take = Math.min(n, MAX_HEAD - p.headLen);
      buf.copy(p.head, p.headLen, 0, take);
      const searchFrom = Math.max(0, p.headLen - 3);
      p.headLen += take;
      const end = p.head.subarray(0, p.headLen).indexOf(CRLFCRLF, searchFrom);
      if (end < 0) {
        if (p.headLen >= MAX_HEAD) this.#fail(new Error(`response header over ${MAX_HEAD} bytes`));
        return true;
      }
      const headerText = p.head.toString("latin1", 0, end);
      const consumedBefore = p.headLen - take; // bytes of this read that were already in p.head
      at = end + 4 - consumedBefore;
      const statusMatch = /^HTTP\/1\.[01] (\d{3})/.exec(headerText);
      if (!statusMatch) {
        this.#fail(new Error(`not an HTTP/1.1 response: ${headerText.slice(0, 80)}`));
        return false;
      }
      p.status = Number(statusMatch[1]);
      const lower = headerText.toLowerCase();
      if (/\r\ntransfer-encoding:/.test(lower)) {
        this.#fail(new Error("lean client needs a Content-Length response, got Transfer-Encoding"));
        return false;
      }
      const len = /\r\ncontent-length:\s*(\d+)/.exec(lower);
      if (!len) {
        this.#fail(new Error("lean client needs a Content-Length response"));
        return false;
      }
      p.close = /\r\nconnection:\s*close/.test(lower);
      p.remaining = Number(len[1]);
    }
    const body = Math.min(n - at, p.remaining);
    if (body > 0) this.#keep(p, buf, at, at + body);
    p.remaining -= body;
    p.bodyBytes += body;
    if (at + body < n) {
      this.#fail(new Error(`${n - at - body} bytes past the end of the response`));
      return false;
    }
    if (p.remaining === 0) {
      this.pending = undefined;
      if (p.close) this.close();
      p.resolve({
        status: p.status,
        bodyBytes: p.bodyBytes,
        head: p.bodyHead.subarray(0, p.bodyHeadLen),
        tail: p.tail.subarray(0, p.tailLen),
      });
    }
    return true;
  }

  /** Keep the first `headBytes` and the last `tailBytes` of the body seen so far. */
  #keep(p, buf, from, to) {
    if (p.bodyHeadLen < p.bodyHead.length) {
      const take = Math.min(to - from, p.bodyHead.length - p.bodyHeadLen);
      buf.copy(p.bodyHead, p.bodyHeadLen, from, from + take);
      p.bodyHeadLen += take;
    }
    const len = to - from;
    const cap = p.tail.length;
    if (len >= cap) {
      buf.copy(p.tail, 0, to - cap, to);
      p.tailLen = cap;
    } else {
      const keepOld = Math.min(p.tailLen, cap - len);
      p.tail.copy(p.tail, 0, p.tailLen - keepOld, p.tailLen);
      buf.copy(p.tail, keepOld, from, to);
      p.tailLen = keepOld + len;
    }
  }
}

/**
 * A pool of lean connections: each call takes an idle connection (opening one when none is idle) and
 * returns it when done, so `concurrency` workers use at most `concurrency` connections.
 * @param {string} base
 */
export function leanPool(base, o) {
  const idle = [];
  const all = new Set();
  return {
    /** @param {string} path @param {(r: LeanResponse) => T} use reads the response before it is reused @template T */
    async get(path, use) {
      let conn = idle.pop();
      if (!conn) {
        conn = new LeanConnection(base, o);
        all.add(conn);
      }
      try {
        const r = await conn.get(path);
        return use(r);
      } finally {
        idle.push(conn);
      }
    },
    close() {
      for (const c of all) c.close();
    },
  };
}
