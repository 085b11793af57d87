import type { IncomingMessage } from 'node:http';

/** `67108864 bytes, 64 MiB`: how a cap is named in errors. */
export function describeBytes(bytes: number): string {
  return bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0 ? `${bytes} bytes, ${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

/**
 * A request's URL as errors name it: origin and path only. Never `href`: a URL's user:pass@ would
 * put a password in an API answer and the logs, and a query string can hold what the caller sent
 * (PQL, which may name secrets); callers add a query string only when they built it themselves.
 */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/**
 * An answer's body, read as it streams and never held past `capBytes`: a Content-Length above the
 * cap is refused before a byte is read, and a body that grows past it (an endless or chunked one) is
 * cut off there; either way the connection is destroyed and `tooLarge()` rejects. Outside servers
 * (Foreman, PuppetDB) are trusted for their data, not for the ui-extension's memory.
 */
export function readCappedBody(response: IncomingMessage, options: { capBytes: number; tooLarge: () => Error; brokeOff: (cause: Error) => Error }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      response.destroy();
      reject(error);
    };
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > options.capBytes) return fail(options.tooLarge());
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > options.capBytes) return fail(options.tooLarge());
      chunks.push(chunk);
    });
    response.on('error', (cause) => fail(options.brokeOff(cause)));
    response.on('aborted', () => fail(options.brokeOff(new Error('the connection closed mid-answer'))));
    response.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, size));
    });
  });
}
