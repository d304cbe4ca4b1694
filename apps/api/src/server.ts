// Builds the Express app without listening: index.ts listens, tests drive it directly.
import { isUtf8 } from 'node:buffer';
import express, { type Express } from 'express';
import { CircuitStatuses, DeadLetterStore, FifoLines, placedWebhookIds, MAX_EVENT_BYTES, TokenStore, WebhookStore, type Logger, type PartitionLayout, type TargetPolicy, type RedisClient, type SecretBox } from '@herald/shared';
import { requireAdmin, requireBearer } from './middleware/auth';
import { tokensRouter } from './routes/tokens';
import { statsRouter } from './routes/stats';
import { configRouter } from './routes/config';
import { secretsRouter } from './routes/secrets';
import { AttemptLog } from './services/attempt-log';
import { EventHistory } from './services/event-history';
import { TestDelivery } from './services/test-delivery';
import { HttpProblem, problemHandler } from './problem';
import { eventsRouter } from './routes/events';
import { webhooksRouter, type WebhookDefaults } from './routes/webhooks';
import { deadLettersRouter } from './routes/dead-letters';
import { healthRouter } from './routes/health';
import { docsRouter } from './routes/docs';
import { consoleRouter } from './admin/console-router';
import { queuesRouter } from './admin/queues-router';
import { EventIngest } from './services/event-ingest';
import { DeadLetterReplay } from './services/dead-letter-replay';
import { OrderedTenants } from './services/ordered-tenants';
import { FilterPreview } from './services/filter-preview';
import { filtersRouter } from './routes/filters';
import type { ApiMetrics } from './metrics';
import type { DeliveryQueues } from './services/delivery-queues';

export interface ServerDeps {
  redis: RedisClient;
  /** Where each key lives: the installation-wide ones, and each partition's. */
  layout: PartitionLayout;
  /** Each partition's delivery queue. */
  queues: DeliveryQueues;
  logger: Logger;
  metrics: ApiMetrics;
  adminToken: string;
  targetPolicy: TargetPolicy;
  /** Seals stored secrets (HERALD_ENCRYPTION_KEY); default: stored as they are. */
  secrets?: SecretBox;
  /** Settings new webhooks get where they set none (from HERALD_RETRY_* and HERALD_DEFAULT_TIMEOUT_MS). */
  webhookDefaults?: WebhookDefaults;
  /** SHA-256 of each HERALD_TENANT_TOKENS token → its tenant. */
  tenantTokens?: ReadonlyMap<string, string>;
  /** The built admin console; default: the dist of the @herald/admin package. */
  consoleDirectory?: string;
  streamMaxLen: number;
  idempotencyTtlSeconds: number;
  /** Refuses new events while Redis is too full (StorageGuard); none: only Redis's own refusals. */
  storage?: { assertRoom(): void };
}

/** Body limit of a single event request: the event limit (1 MiB, 413 beyond). */
const EVENT_BODY_LIMIT = MAX_EVENT_BYTES;
/** A batch holds up to 1000 events, each of at most 1 MiB serialized; the request as a whole is capped here. */
const BATCH_BODY_LIMIT = '16mb';

/**
 * JSON bodies must be UTF-8: the parser would turn invalid bytes into U+FFFD, changing the data
 * without a word. body-parser passes what `verify` throws on, with its status, to problemHandler.
 */
function requireUtf8(_req: unknown, _res: unknown, body: Buffer): void {
  if (!isUtf8(body)) {
    throw new HttpProblem(400, 'Malformed body', 'The request body is not valid UTF-8', [{ field: '(body)', message: 'is not valid UTF-8' }]);
  }
}

export function createServer(deps: ServerDeps): Express {
  const { layout } = deps;
  const webhooks = new WebhookStore(deps.redis, layout.global, {
    ...(deps.secrets ? { secrets: deps.secrets } : {}),
    keysOfWebhook: (id) => layout.keys(layout.ofWebhook(id)),
    newId: placedWebhookIds(deps.redis, layout),
  });
  const deadLetters = new DeadLetterStore(deps.redis, layout);
  const ingest = new EventIngest(deps.redis, layout, {
    streamMaxLen: deps.streamMaxLen,
    idempotencyTtlSeconds: deps.idempotencyTtlSeconds,
  }, deps.storage, new OrderedTenants(deps.redis, layout.global));
  const fifo = (webhookId: string) => new FifoLines(deps.redis, layout.keys(layout.ofWebhook(webhookId)));
  const replay = new DeadLetterReplay(deadLetters, webhooks, deps.queues, fifo);
  const tokens = new TokenStore(deps.redis, layout.global);
  const attempts = new AttemptLog(deps.redis, layout);
  const history = new EventHistory(deps.redis, layout);
  const testDelivery = new TestDelivery(deps.queues, attempts);
  const circuits = new CircuitStatuses(deps.redis, layout);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(healthRouter(deps.redis, deps.metrics.registry));
  app.use(docsRouter());
  const tokenCheck = { adminToken: deps.adminToken, tenantTokens: deps.tenantTokens ?? new Map<string, string>(), tokenStore: tokens };
  app.use('/admin/queues', queuesRouter({ queues: deps.queues.all, tokens: tokenCheck }));
  app.use('/admin', consoleRouter(deps.consoleDirectory));

  const v1 = express.Router();
  v1.use(requireBearer(tokenCheck));
  v1.use('/events/batch', express.json({ limit: BATCH_BODY_LIMIT, verify: requireUtf8 }));
  v1.use(express.json({ limit: EVENT_BODY_LIMIT, verify: requireUtf8 }));
  v1.use('/events', eventsRouter(ingest, deps.metrics, history, attempts));
  v1.use('/webhooks', webhooksRouter(webhooks, deps.targetPolicy, deps.webhookDefaults ?? { retry: {} }, { attempts, testDelivery, replay, circuits, filterPreview: new FilterPreview(history), fifo }));
  v1.use('/filters', filtersRouter());
  v1.use('/dead-letters', deadLettersRouter(deadLetters, replay, attempts));
  v1.use('/stats', statsRouter(deps.redis, layout, deps.queues, deadLetters));
  v1.use('/tokens', requireAdmin, tokensRouter(tokens));
  v1.use('/config', requireAdmin, configRouter(webhooks, deps.targetPolicy));
  v1.use('/secrets', requireAdmin, secretsRouter({ store: webhooks, redis: deps.redis, keys: layout.global }));
  app.use('/v1', v1);

  app.use((req, _res, next) => next(new HttpProblem(404, 'Not found', `No route for ${req.method} ${req.path}`)));
  app.use(problemHandler(deps.logger));
  return app;
}
