// The admin console at /admin: the static files @herald/admin builds, served from this origin under
// a Content-Security-Policy that lets the page load and call nothing but this origin.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { Router } from 'express';
import { HttpProblem } from '../problem';

/**
 * Scripts and styles only from files of this origin (the build inlines nothing), API calls only to
 * it, no frames, no plugins, forms only to it. Charts style their SVG through the DOM, which a
 * policy does not restrict.
 */
export const CONSOLE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'x-frame-options': 'DENY',
};

/** Where the built console is: the `dist` of the @herald/admin package, or a folder given (tests). */
export function consoleDirectory(): string {
  return join(dirname(require.resolve('@herald/admin/package.json')), 'dist');
}

export function consoleRouter(directory = consoleDirectory()): Router {
  const router = Router();
  const index = join(directory, 'index.html');
  router.use((_req, res, next) => {
    res.set(SECURITY_HEADERS);
    next();
  });
  // Hashed file names: a file never changes under its name, so browsers may keep it.
  router.use('/assets', express.static(join(directory, 'assets'), { immutable: true, maxAge: '1y', index: false }), (req, _res, next) =>
    next(new HttpProblem(404, 'Not found', `No console file ${req.baseUrl}${req.path}`)),
  );
  // Every other path is a page of the single-page app: its own router reads the path.
  router.get('/{*page}', (_req, res) => {
    if (!existsSync(index)) throw new HttpProblem(503, 'Console not built', 'The admin console has not been built: run "pnpm build"');
    res.set('cache-control', 'no-cache').sendFile(index, { dotfiles: 'allow' });
  });
  return router;
}
