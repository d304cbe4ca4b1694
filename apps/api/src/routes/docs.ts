// The OpenAPI document and a page rendering it, without a token. The page's script is Redoc's
// standalone build from the redoc package, served from here: the page loads nothing from elsewhere.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Router } from 'express';
import { openApiDocument } from '../openapi/document';

/**
 * The build copies Redoc's standalone file into dist/vendor (scripts/copy-assets.mjs), so that a
 * deployment carries that one file and none of redoc's dependencies; run from the sources (the
 * tests), it comes from the redoc package itself.
 */
const BUILT_REDOC_SCRIPT = join(__dirname, '..', 'vendor', 'redoc', 'redoc.standalone.js');
const REDOC_SCRIPT = existsSync(BUILT_REDOC_SCRIPT) ? BUILT_REDOC_SCRIPT : require.resolve('redoc/bundles/redoc.standalone.js');

/**
 * The page may load only from this origin: Redoc's footer shows a logo from its CDN, which the
 * browser then never asks for (the image fails and Redoc hides it). Redoc styles inline and runs
 * its search in a worker made from a blob.
 */
const PAGE_POLICY = [
  "default-src 'self'",
  "script-src 'self' blob:",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
].join('; ');

/** Relative URLs, so the page also works behind a proxy that mounts the API under a path. */
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald API</title>
<style>body { margin: 0; }</style>
</head>
<body>
<redoc spec-url="openapi.json" hide-download-button="false" expand-responses="200,201,202" path-in-middle-panel="true"></redoc>
<script src="docs/redoc.standalone.js"></script>
</body>
</html>
`;

export function docsRouter(): Router {
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  router.get('/docs', (_req, res) => {
    res.type('html').set('content-security-policy', PAGE_POLICY).send(PAGE);
  });
  router.get('/docs/redoc.standalone.js', (_req, res) => {
    // pnpm's store is under node_modules/.pnpm: a dot folder, which sendFile refuses unless told.
    res.type('text/javascript').sendFile(REDOC_SCRIPT, { maxAge: '1h', dotfiles: 'allow' });
  });
  return router;
}
