import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { API_DOC_PATH } from './routes/apidoc.routes';

/**
 * The Content-Security-Policy of the web UI and the API. Vite builds the UI into same-origin module
 * scripts and one stylesheet, with no inline script or style in dist/web/index.html, and PatternFly's
 * fonts and backgrounds into files under /assets: everything comes from 'self', no 'unsafe-inline'.
 * React sets `style` through the CSSOM, which style-src does not govern. The login e2e test fails on
 * any CSP violation the real browser reports.
 */
export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'base-uri': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  // The UI never runs in a frame: no clickjacking of "Run job" buttons.
  'frame-ancestors': ["'none'"],
};

/**
 * The CSP of `/apidoc` (Swagger UI, served from this server): the same, except that its
 * stylesheet draws icons and the select arrow as `data:` SVG images. Scripts stay 'self' only.
 */
export const API_DOC_CONTENT_SECURITY_POLICY = { ...CONTENT_SECURITY_POLICY, 'img-src': ["'self'", 'data:'] };

/**
 * Security headers on every response (helmet): the CSP above, X-Frame-Options DENY, nosniff,
 * Referrer-Policy no-referrer (URLs carry host names and searches), and the rest of helmet's
 * defaults. Strict-Transport-Security only on a request that came over TLS (directly or from a
 * trusted proxy saying so): sent over plain HTTP it is ignored by browsers at best, and a test or
 * all-in-one start on http://127.0.0.1 must not pin the name to HTTPS. Its includeSubDomains is
 * left out: other hosts of the operator's domain are not ours to pin.
 */
export function securityHeaders() {
  const always = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    strictTransportSecurity: false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  const apiDoc = helmet.contentSecurityPolicy({ useDefaults: false, directives: API_DOC_CONTENT_SECURITY_POLICY });
  const hsts = helmet.strictTransportSecurity({ maxAge: 31_536_000, includeSubDomains: false });
  return (req: Request, res: Response, next: NextFunction): void => {
    const transport = (error?: unknown) => {
      if (error || !req.secure) return next(error);
      hsts(req, res, next);
    };
    always(req, res, (error?: unknown) => {
      if (error) return next(error);
      // The documentation's own policy replaces the header `always` set, for its paths only.
      if (req.path === API_DOC_PATH || req.path.startsWith(`${API_DOC_PATH}/`)) return apiDoc(req, res, transport);
      transport();
    });
  };
}
