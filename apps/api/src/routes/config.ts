import express, { Router, type Request } from 'express';
import { z } from 'zod';
import { ConfigError, configFileSchema, envReferencePaths, parseConfigYaml, refuseDeepDocument, type TargetPolicy, type WebhookStore } from '@herald/shared';
import { HttpProblem, invalidFields, parseOr400 } from '../problem';
import { applyConfig, ConfigApplyError } from '../services/config-apply';

/** The YAML media types in use; a config file is YAML, so a body may be too. */
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];
const BODY_LIMIT = '1mb';

export const configApplyQuerySchema = z.object({
  dryRun: z
    .enum(['true', 'false'])
    .optional()
    .meta({ description: '`true`: only report what would change; nothing is applied and no secret is made.' }),
});

/**
 * The request body as a document: JSON or YAML (the same parser as `herald apply`); no body is `{}`.
 * A document that cannot be read, or is nested deeper than any configuration, is a 400 saying why.
 */
function requestDocument(req: Request): unknown {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (!hasBody) return {};
  const yaml = req.is(YAML_TYPES);
  if (!yaml && !req.is('json')) throw new HttpProblem(415, 'Unsupported media type', `Send the configuration as application/json or application/yaml`);
  try {
    if (yaml) return parseConfigYaml(String(req.body ?? ''), '(body)');
    const document: unknown = req.body ?? {};
    refuseDeepDocument(document, '(body)');
    return document;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const errors = error.problems.map((p) => ({ field: p.variable, message: p.problem }));
    throw new HttpProblem(400, 'Invalid request', `The body ${errors.map((e) => e.message).join('; ')}`, errors);
  }
}

/**
 * ${env.NAME} is resolved by `herald apply` from the environment of whoever applies. The API does
 * not resolve a request's references from its own environment: that holds the API's secrets
 * (admin token, Redis password), which a webhook could then carry elsewhere.
 */
function refuseEnvReferences(document: unknown): void {
  const paths = envReferencePaths(document);
  if (paths.length === 0) return;
  const errors = paths.map((field) => ({ field, message: 'holds a ${env.NAME} reference: `herald apply -f <file>` resolves those before sending' }));
  throw invalidFields(errors);
}

/** POST /v1/config/apply (admin): declarative webhooks, `?dryRun=true` to see what would change. */
export function configRouter(store: WebhookStore, policy: TargetPolicy): Router {
  const router = Router();
  router.post('/apply', express.text({ type: YAML_TYPES, limit: BODY_LIMIT }), async (req, res) => {
    const { dryRun } = parseOr400(configApplyQuerySchema, req.query);
    const document = requestDocument(req);
    refuseEnvReferences(document);
    const config = parseOr400(configFileSchema, document);
    try {
      res.json({ dryRun: dryRun === 'true', ...(await applyConfig(store, config, policy, dryRun === 'true')) });
    } catch (error) {
      if (error instanceof ConfigApplyError) {
        throw new HttpProblem(400, 'Invalid request', error.message, error.problems);
      }
      throw error;
    }
  });
  return router;
}
