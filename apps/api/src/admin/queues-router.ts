// Bull Board at /admin/queues, for SREs who know BullMQ's own tooling: the `deliveries` queue,
// read-only, behind the admin token. A browser gets in with the cookie the console asks for at
// sign-in (POST /admin/queues/session with the admin token); scripts may send the token itself.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { parse as parseCookies } from 'cookie';
import { Router, type Request, type RequestHandler } from 'express';
import { constantTimeEqual } from '@herald/shared';
import { bearerToken, requireAdmin, requireBearer, type TokenCheck } from '../middleware/auth';
import { HttpProblem } from '../problem';
import { QUEUES_COOKIE, QUEUES_PATH, QUEUES_SESSION_MS, issueQueuesSession, isValidQueuesSession } from './queues-session';

/**
 * Bull Board's page may load only from this origin. Its own styles are partly inline; the web
 * fonts it would fetch from a font CDN are not loaded (the page falls back to system fonts).
 */
const QUEUES_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SIGN_IN_FIRST = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Herald queues: sign in first</title></head>
<body><main><h1>Sign in first</h1>
<p>Bull Board needs the admin token. Sign in to the <a href="/admin/">Herald console</a> with it, then open Queues again.</p>
</main></body></html>
`;

export interface QueuesRouterOptions {
  /** Each partition's delivery queue (one without partitions). */
  queues: readonly Queue[];
  tokens: TokenCheck;
  now?: () => number;
}

export function queuesRouter(options: QueuesRouterOptions): Router {
  const now = options.now ?? Date.now;
  const { adminToken } = options.tokens;
  const router = Router();
  router.use((_req, res, next) => {
    res.set({ 'content-security-policy': QUEUES_POLICY, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
    next();
  });

  // Secure when the console is on https (directly, or behind a proxy that says so): a browser
  // refuses Secure cookies from plain http, which a local run uses.
  const cookieOptions = (req: Request) =>
    ({ path: QUEUES_PATH, httpOnly: true, sameSite: 'strict', secure: req.secure || req.get('x-forwarded-proto') === 'https' }) as const;
  router.post('/session', requireBearer(options.tokens), requireAdmin, (req, res) => {
    const session = issueQueuesSession(adminToken, now());
    res.cookie(QUEUES_COOKIE, session.value, { ...cookieOptions(req), maxAge: QUEUES_SESSION_MS }).status(204).end();
  });
  router.delete('/session', (req, res) => {
    res.clearCookie(QUEUES_COOKIE, cookieOptions(req)).status(204).end();
  });

  const admitted: RequestHandler = (req, res, next) => {
    const cookie = parseCookies(req.get('cookie') ?? '')[QUEUES_COOKIE];
    const bearer = bearerToken(req);
    if (isValidQueuesSession(cookie, adminToken, now()) || (bearer !== undefined && constantTimeEqual(bearer, adminToken))) return next();
    if (req.accepts(['html', 'json']) === 'html') {
      res.status(401).type('html').send(SIGN_IN_FIRST);
      return;
    }
    res.set('www-authenticate', 'Bearer');
    throw new HttpProblem(401, 'Unauthorized', 'Sign in to the console with the admin token, or send Authorization: Bearer <admin token>');
  };

  const serverAdapter = new ExpressAdapter().setBasePath(QUEUES_PATH);
  // Read-only: jobs are Herald's bookkeeping (a delivery's job id keeps it from being made twice);
  // dead letters are replayed from the console, which keeps their records straight.
  createBullBoard({
    queues: options.queues.map(
      (queue, n) =>
        new BullMQAdapter(queue, {
          readOnlyMode: true,
          allowRetries: false,
          description: 'Herald deliveries that must wait: retries, deferrals, replays, test sends',
          // Every partition's queue is named `deliveries`: the board tells them apart by partition.
          ...(options.queues.length > 1 ? { prefix: `p${String(n).padStart(2, '0')}-` } : {}),
        }),
    ),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'Herald queues', hideDocsLink: true, miscLinks: [{ text: 'Herald console', url: '/admin/' }] } },
  });
  router.use(admitted, serverAdapter.getRouter() as Router);
  return router;
}
