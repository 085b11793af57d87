import { createHmac } from 'node:crypto';

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

/**
 * The only code that calls webhook endpoints: one POST, no redirects followed (a redirect is not a
 * delivery), a deadline, and the answer's body left unread beyond its first bytes.
 */
export const sendWebhook: SendWebhook = async ({ url, body, headers, timeoutMs }) => {
  try {
    const res = await fetch(url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel().catch(() => undefined);
    return { status: res.status, error: res.status >= 200 && res.status < 300 ? null : `HTTP ${res.status}` };
  } catch (error) {
    const e = error as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { status: null, error: why };
  }
};
