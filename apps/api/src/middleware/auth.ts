import type { RequestHandler } from 'express';
import { constantTimeEqual } from '@herald/shared';
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

/** Requires `Authorization: Bearer <token>` matching the admin token (compared in constant time). */
export function requireBearer(adminToken: string): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (!match) {
      res.set('www-authenticate', 'Bearer');
      throw new HttpProblem(401, 'Unauthorized', 'Send Authorization: Bearer <token>');
    }
    if (!constantTimeEqual(match[1] as string, adminToken)) {
      throw new HttpProblem(401, 'Unauthorized', 'The bearer token is not valid');
    }
    res.locals.principal = { kind: 'admin' };
    next();
  };
}

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
