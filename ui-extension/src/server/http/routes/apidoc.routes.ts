import path from 'node:path';
import { Router } from 'express';

/** Where the browsable API documentation lives (Foreman's docs URL); security-headers.ts relaxes its CSP for it. */
export const API_DOC_PATH = '/apidoc';

/**
 * Swagger UI's files, from the swagger-ui-dist package (the only importer of it): served from this
 * server, never a CDN, so the page works offline and under our CSP. Only these files are served;
 * the package's own index.html and initializer point at the Petstore example.
 */
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png'];

/**
 * The page: no inline script or style (the CSP has no 'unsafe-inline'); the initializer below is
 * a file of its own.
 */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>mco-rex API</title>
<link rel="stylesheet" href="${API_DOC_PATH}/swagger-ui.css">
<link rel="icon" type="image/png" href="${API_DOC_PATH}/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${API_DOC_PATH}/swagger-ui-bundle.js"></script>
<script src="${API_DOC_PATH}/initializer.js"></script>
</body>
</html>
`;

/**
 * Reads this server's document; `validatorUrl: null` keeps Swagger UI from fetching a badge from
 * validator.swagger.io (the document is linted in the test suite instead). "Try it out" sends the
 * browser's session cookie, or the credentials given under "Authorize".
 */
const INITIALIZER = `window.ui = SwaggerUIBundle({
  url: '/api/v2/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  docExpansion: 'none',
  filter: true,
  presets: [SwaggerUIBundle.presets.apis],
});
`;

/**
 * `GET /apidoc`: the API browsable in Swagger UI, from `GET /api/v2/openapi.json`. Open like the
 * document itself (it describes the routes, never data). The page and its initializer are not
 * cached (they change with a release); Swagger UI's files are, for a day. The files are static
 * assets as the web UI's /assets are (a fixed list, no route of their own); any other path under
 * /apidoc falls through to the JSON 404.
 */
export function createApiDocRoutes(): Router {
  const router = Router();
  router.get(API_DOC_PATH, (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.type('html').send(PAGE);
  });
  router.use(API_DOC_PATH, (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    const file = req.path.slice(1);
    if (file === 'initializer.js') {
      res.setHeader('Cache-Control', 'no-cache');
      res.type('application/javascript').send(INITIALIZER);
      return;
    }
    if (!SWAGGER_UI_FILES.includes(file)) return next();
    res.sendFile(path.join(SWAGGER_UI_DIR, file), { maxAge: '1d' }, (error) => error && next(error));
  });
  return router;
}
