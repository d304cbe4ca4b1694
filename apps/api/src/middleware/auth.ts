import type { Request, RequestHandler } from 'express';
import { constantTimeEqual, hashToken, type TokenStore } from '@herald/shared';
import { HttpProblem } from '../problem';

/** Who a request acts as: the admin (every tenant) or one tenant. */
export interface Principal {
  kind: 'admin' | 'tenant';
  /** The tenant a tenant token is bound to; absent for the admin. */
  tenant?: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      principal: Principal;
    }
  }
}

export interface TokenCheck {
  adminToken: string;
  /** SHA-256 of a tenant token → its tenant (from HERALD_TENANT_TOKENS). */
  tenantTokens: ReadonlyMap<string, string>;
  /** Tokens the admin created through the API. */
  tokenStore: Pick<TokenStore, 'findByHash'>;
}

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearerToken(req: Request): string | undefined {
  return /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1];
}

/**
 * Requires `Authorization: Bearer <token>`: the admin token (compared in constant time) or a tenant
 * token (looked up by its SHA-256, so the token itself is never compared byte by byte).
 */
export function requireBearer(check: TokenCheck): RequestHandler {
  return async (req, res, next) => {
    const token = bearerToken(req);
    if (token === undefined) {
      res.set('www-authenticate', 'Bearer');
      throw new HttpProblem(401, 'Unauthorized', 'Send Authorization: Bearer <token>');
    }
    if (constantTimeEqual(token, check.adminToken)) {
      res.locals.principal = { kind: 'admin' };
      return next();
    }
    const hash = hashToken(token);
    const tenant = check.tenantTokens.get(hash) ?? (await check.tokenStore.findByHash(hash))?.tenant;
    if (!tenant) throw new HttpProblem(401, 'Unauthorized', 'The bearer token is not valid');
    res.locals.principal = { kind: 'tenant', tenant };
    next();
  };
}

/** Only the admin token may pass. */
export const requireAdmin: RequestHandler = (_req, res, next) => {
  if (res.locals.principal.kind !== 'admin') throw new HttpProblem(403, 'Forbidden', 'Only the admin token may do this');
  next();
};

/** The tenant a request may touch: the token's own, or for the admin the one asked for (if any). */
export function tenantScope(principal: Principal, requested?: string): string | undefined {
  if (principal.kind === 'tenant') {
    if (requested !== undefined && requested !== principal.tenant) {
      throw new HttpProblem(403, 'Forbidden', `This token may act only for tenant "${principal.tenant}"`);
    }
    return principal.tenant;
  }
  return requested;
}
