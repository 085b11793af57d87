import { createHmac } from 'node:crypto';
import { promises as dns } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { guardedLookup, isLinkLocalAddress, WebhookAddressRefused, type ResolveAll } from './webhook-address';

/** What one attempt came to: an HTTP status, or no answer at all (`status` null, `error` says why). */
export interface WebhookAttempt {
  status: number | null;
  error: string | null;
}

export type SendWebhook = (request: { url: string; body: string; headers: Record<string, string>; timeoutMs: number }) => Promise<WebhookAttempt>;

/** `sha256=<hex>` of the body under the webhook's secret, as GitHub's X-Hub-Signature-256 is. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

const systemResolver: ResolveAll = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

/**
 * The only code that calls webhook endpoints: one POST, no redirects followed (a redirect is not a
 * delivery), a deadline, the answer's body left unread, and no connection to a link-local address:
 * the name is resolved when the socket connects and every address it has is checked then
 * (`guardedLookup`); an address written in the URL is checked here, since sockets do not look
 * literals up. A fresh connection each time (no keep-alive) so every delivery resolves again.
 */
export function createSendWebhook(options: { resolve?: ResolveAll } = {}): SendWebhook {
  const lookup = guardedLookup(options.resolve ?? systemResolver);
  return async ({ url, body, headers, timeoutMs }) => {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const target = new URL(url);
      if (isLinkLocalAddress(target.hostname)) throw new WebhookAddressRefused(target.hostname, target.hostname);
      const send = target.protocol === 'https:' ? https.request : http.request;
      const status = await new Promise<number>((resolve, reject) => {
        const request = send(target, { method: 'POST', headers: { ...headers, 'Content-Length': Buffer.byteLength(body) }, lookup, agent: false, signal }, (res) => {
          res.destroy();
          resolve(res.statusCode ?? 0);
        });
        request.on('error', reject);
        request.end(body);
      });
      return { status, error: status >= 200 && status < 300 ? null : `HTTP ${status}` };
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      const why = signal.aborted ? `no answer within ${timeoutMs} ms` : e instanceof WebhookAddressRefused ? e.message : (e.code ?? e.message);
      return { status: null, error: why };
    }
  };
}

export const sendWebhook: SendWebhook = createSendWebhook();
