// Types of lean-http.mjs, for the test that checks it (test/unit/bench-lean-http.test.ts).
export interface LeanResponse {
  status: number;
  bodyBytes: number;
  /** First bytes of the body (a view: overwritten by the connection's next call). */
  head: Buffer;
  /** Last bytes of the body (a view: overwritten by the connection's next call). */
  tail: Buffer;
}

export class LeanConnection {
  constructor(base: string, o?: { readBufferBytes?: number; headBytes?: number; tailBytes?: number });
  connect(): Promise<void>;
  get(path: string): Promise<LeanResponse>;
  close(): void;
}

export function leanPool(
  base: string,
  o?: { readBufferBytes?: number; headBytes?: number; tailBytes?: number },
): {
  get<T>(path: string, use: (r: LeanResponse) => T): Promise<T>;
  close(): void;
};
