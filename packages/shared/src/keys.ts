// Every Redis key Herald uses, under one configurable prefix. No other module spells a key.
// With partitions (partitions/partition-layout.ts) the keys of one partition share its hash tag,
// and the installation-wide ones (webhooks, tokens, leases) share the global tag.

/** The consumer group every worker joins on the events stream. */
export const FANOUT_GROUP = 'fanout';
/** The BullMQ queue of deliveries; BullMQ puts its keys under `<prefix>:deliveries:`. */
export const DELIVERY_QUEUE = 'deliveries';

export interface RedisKeys {
  /** The partition's keys have a hash tag of their own, apart from the installation-wide keys (a script may not mix them). */
  readonly partitioned: boolean;
  /** With partitions, the partition's name (`p07`): events written straight to its stream carry it in their ids. */
  readonly partition: string | undefined;
  /** BullMQ's `prefix` option: Herald's prefix, so all keys share one hash tag when it has one. */
  readonly bullPrefix: string;
  /** Stream producers append events to (field `event`: the event JSON). */
  readonly eventsStream: string;
  /** Stream of entries that could not be read as events, each with its reason. */
  readonly invalidEventsStream: string;
  /** Hash: webhook id → webhook JSON. */
  readonly webhooks: string;
  /** Counter bumped on every webhook change, so workers know when to reload. */
  readonly webhooksVersion: string;
  /** Sorted set: webhook id → the version of its latest change (the last 10,000 changes), so workers reload only what changed. */
  readonly webhookChanges: string;
  /** String: the highest version trimmed from `webhookChanges`; a worker behind it reloads every webhook. */
  readonly webhookChangesTrimmed: string;
  /**
   * Hash: webhook id → its route, what fan-out needs of it (`{"e":enabled,"p":[patterns],"r":version}`),
   * for one tenant's webhooks: workers hold routes, not whole documents.
   */
  webhookRoutes(tenant: string): string;
  /** Hash: tenant → the digest of its routes (`<count>:<xor of their hashes>`), which workers compare theirs with. */
  readonly webhookTenants: string;
  /** Hash: dead letter id (the delivery id) → dead letter JSON. */
  readonly deadLetters: string;
  /** Sorted set of dead letter ids by the time they were dead-lettered. */
  readonly deadLettersByTime: string;
  /** The same index for one webhook's dead letters (filters and recovery read it, not all of them). */
  deadLettersOfWebhook(webhookId: string): string;
  /** The same index for one tenant's dead letters. */
  deadLettersOfTenant(tenant: string): string;
  /** String, set once the per-webhook and per-tenant indexes hold every dead letter. */
  readonly deadLetterIndexesBuilt: string;
  /** Hash: sha256 of an API token → JSON of the stored tenant token. */
  readonly apiTokensByHash: string;
  /** Hash: token id → sha256 of the token (to delete by id). */
  readonly apiTokenIds: string;
  /** String: the event id a producer's idempotency key was first accepted as (expires after 24 h). */
  idempotency(tenant: string, key: string): string;
  /** List of a webhook's delivery attempts, newest first, capped. */
  attempts(webhookId: string): string;
  /** Hash of a webhook's delivery counters. */
  webhookStats(webhookId: string): string;
  /** List of one event's delivery attempts (all webhooks), newest first; expires (HERALD_EVENT_ATTEMPTS_TTL after its first). */
  eventAttempts(eventId: string): string;
  /** Hash of delivery counters over all webhooks (total, success, retry, dead_letter), of producers' events. */
  readonly globalStats: string;
  /** The same counters for deliveries of Herald's own operational events (kept apart from producers'). */
  readonly operationalStats: string;
  /** Hash: `<tenant>:<event type>` → events fanned out. */
  readonly eventTypeCounts: string;
  /** Counter of producers' events fanned out in one minute (unix minute); expires after two hours. */
  eventsInMinute(minute: number): string;
  /** The same for Herald's own operational events. */
  operationalEventsInMinute(minute: number): string;
  /**
   * Hash: producers' delivery attempts settled in one minute (unix minute), by outcome (success,
   * retry, dead_letter); expires DELIVERIES_PER_MINUTE_TTL_SECONDS after its first write.
   */
  deliveriesInMinute(minute: number): string;
  /**
   * Hash: the webhooks whose delivery of this event is already settled (recorded, dead-lettered or
   * queued) while the event's stream entry is still pending, so that a worker claiming the entry
   * after a crash skips them. Deleted when the entry is acknowledged. For an entry another
   * partition's fan-out wrote (several events), `id` is the entry's own id and the fields are the
   * settled deliveries' ids (`<eventId>.<webhookId>`).
   */
  settledDeliveries(id: string): string;
  /** Hash: a webhook's token bucket (tokens, ts), shared by all workers. */
  rateLimit(webhookId: string): string;
  /** Hash: a webhook's circuit breaker (state, failures, openUntil, probe, …), shared by all workers. */
  circuit(webhookId: string): string;
  /**
   * String with a TTL, in a webhook's partition: the webhook was deleted, so settling a delivery
   * still under way writes no counters, attempts or circuit for it.
   */
  deletedWebhook(webhookId: string): string;
  /**
   * Set with a TTL, in a webhook's partition, one per hour events were received in (`hour`: Unix
   * ms / 3,600,000, rounded down): the ids of events fan-out wrote into the partition's stream
   * (partitions/route-events-n.lua), so that an entry read again after a crash writes nothing new.
   * An id is removed once its source entry is acknowledged.
   */
  routedEvents(hour: number): string;
  /** Global. Counter of webhooks created with partitions: the next one goes to partition count mod P. */
  readonly webhookPlacement: string;
  /** Global. String: the number of partitions the installation was created with. */
  readonly partitionCount: string;
  /** Global. Hash: partition number → `<worker>|<lease expiry ms>` (partitions/partition-leases.ts). */
  readonly partitionLeases: string;
  /** Global. Sorted set: worker → when it last renewed its leases (ms); workers share the partitions out among those alive. */
  readonly partitionWorkers: string;
  /** Set of webhook ids whose circuit is open or half-open. */
  readonly openCircuits: string;
  /** String with a TTL: Herald emitted operational event `type` about this webhook within the window. */
  operationalGate(webhookId: string, type: string): string;
  /**
   * Hash: one event's payload, stored once for every delivery of it that waits (a retry, a parked
   * delivery, a dead letter): field `e` the event's JSON, and a field per webhook whose delivery
   * refers to it. It goes with the last reference (payloads/payloads.lua).
   */
  payload(eventId: string): string;
  /** Stream: a webhook's deliveries waiting while its circuit is open (parking/parking.lua), oldest first. */
  parked(webhookId: string): string;
  /** Set of the webhooks that have parked deliveries. */
  readonly parkedWebhooks: string;
  /**
   * Ordered delivery (fifo/fifo.lua builds the same names from `fifo`): `fifoOn` (string) — the
   * partition has had a FIFO webhook, so fan-out records the entries it plans in `fifoPlanning`
   * (sorted set, by padded entry id); `fifoWaiting` (sorted set) — lines whose head waits for earlier
   * entries to be planned; `fifoWebhooks` (set) — webhooks with lines. Per webhook: `fifoLine` (a
   * sorted set of `<order key>|<event id>|<replay>`), `fifoBusy` / `fifoBlocked` (hashes: line →
   * its head in the queue / its head that spent its attempts under onExhausted block), `fifoHeads`
   * (sorted set: line → its head's time, for the head age), `fifoCount` (deliveries in lines), and the
   * script's own `<fifo>:<webhook id>:seq` (heads sent out, numbering their jobs) and `<fifo>:tail`
   * (numbering replays put at lines' tails).
   */
  readonly fifo: string;
  /** Global. Set of tenants with FIFO webhooks: with partitions, their events are ingested into their ordered partition. */
  readonly fifoTenants: string;
  readonly fifoOn: string;
  readonly fifoPlanning: string;
  readonly fifoWaiting: string;
  readonly fifoWebhooks: string;
  fifoLine(webhookId: string, line: string): string;
  fifoBusy(webhookId: string): string;
  fifoBlocked(webhookId: string): string;
  fifoHeads(webhookId: string): string;
  fifoCount(webhookId: string): string;
  /** String with a TTL: a parked delivery was released as the probe of an open circuit, and no other is until it expires. */
  parkedProbe(webhookId: string): string;
  /**
   * String with a TTL: the cached OAuth2 access token (sealed) of one configuration, by its
   * fingerprint, with when to renew it and when it expires; or the token endpoint's refusal, briefly.
   */
  oauth2Token(configId: string): string;
  /** String with a TTL: a worker is asking the token endpoint for this configuration; the others wait for its answer. */
  oauth2TokenLock(configId: string): string;
  /** SCAN pattern of every cached OAuth2 token (`oauth2Token`). */
  readonly oauth2TokensPattern: string;
}

/**
 * The keys of one partition under `prefix`; the installation-wide ones (webhooks and their routes,
 * API tokens, partition leases) under `globalPrefix`. With one partition both are the same prefix.
 */
export function redisKeys(prefix: string, globalPrefix: string = prefix): RedisKeys {
  const global = globalPrefix;
  return {
    partitioned: prefix !== globalPrefix,
    partition: prefix === globalPrefix ? undefined : /-(p\d+)\}$/.exec(prefix)?.[1],
    bullPrefix: prefix,
    eventsStream: `${prefix}:events`,
    invalidEventsStream: `${prefix}:events:invalid`,
    webhooks: `${global}:webhooks`,
    webhooksVersion: `${global}:webhooks:version`,
    webhookChanges: `${global}:webhooks:changes`,
    webhookChangesTrimmed: `${global}:webhooks:changes:trimmed`,
    webhookRoutes: (tenant) => `${global}:webhooks:routes:${tenant}`,
    webhookTenants: `${global}:webhooks:tenants`,
    deadLetters: `${prefix}:dead-letters`,
    deadLettersByTime: `${prefix}:dead-letters:by-time`,
    deadLettersOfWebhook: (webhookId) => `${prefix}:dead-letters:by-webhook:${webhookId}`,
    deadLettersOfTenant: (tenant) => `${prefix}:dead-letters:by-tenant:${tenant}`,
    deadLetterIndexesBuilt: `${prefix}:dead-letters:indexes-built`,
    apiTokensByHash: `${global}:api-tokens`,
    apiTokenIds: `${global}:api-tokens:ids`,
    idempotency: (tenant, key) => `${prefix}:idempotency:${tenant}:${key}`,
    attempts: (webhookId) => `${prefix}:attempts:${webhookId}`,
    webhookStats: (webhookId) => `${prefix}:stats:webhook:${webhookId}`,
    eventAttempts: (eventId) => `${prefix}:attempts:event:${eventId}`,
    globalStats: `${prefix}:stats:global`,
    operationalStats: `${prefix}:stats:operational`,
    eventTypeCounts: `${prefix}:stats:event-types`,
    eventsInMinute: (minute) => `${prefix}:stats:events-per-minute:${minute}`,
    operationalEventsInMinute: (minute) => `${prefix}:stats:operational-events-per-minute:${minute}`,
    deliveriesInMinute: (minute) => `${prefix}:stats:deliveries-per-minute:${minute}`,
    settledDeliveries: (id) => `${prefix}:settled:${id}`,
    rateLimit: (webhookId) => `${prefix}:rate-limit:${webhookId}`,
    circuit: (webhookId) => `${prefix}:circuit:${webhookId}`,
    deletedWebhook: (webhookId) => `${prefix}:deleted:${webhookId}`,
    routedEvents: (hour) => `${prefix}:routed:${hour}`,
    webhookPlacement: `${global}:webhooks:placed`,
    partitionCount: `${global}:partitions`,
    partitionLeases: `${global}:partitions:leases`,
    partitionWorkers: `${global}:partitions:workers`,
    openCircuits: `${prefix}:circuits:open`,
    operationalGate: (webhookId, type) => `${prefix}:op-gate:${webhookId}:${type}`,
    payload: (eventId) => `${prefix}:payload:${eventId}`,
    parked: (webhookId) => `${prefix}:parked:${webhookId}`,
    parkedWebhooks: `${prefix}:parked`,
    fifo: `${prefix}:fifo`,
    fifoTenants: `${global}:fifo:tenants`,
    fifoOn: `${prefix}:fifo:on`,
    fifoPlanning: `${prefix}:fifo:planning`,
    fifoWaiting: `${prefix}:fifo:waiting`,
    fifoWebhooks: `${prefix}:fifo:webhooks`,
    fifoLine: (webhookId, line) => `${prefix}:fifo:${webhookId}:line:${line}`,
    fifoBusy: (webhookId) => `${prefix}:fifo:${webhookId}:busy`,
    fifoBlocked: (webhookId) => `${prefix}:fifo:${webhookId}:blocked`,
    fifoHeads: (webhookId) => `${prefix}:fifo:${webhookId}:heads`,
    fifoCount: (webhookId) => `${prefix}:fifo:${webhookId}:count`,
    parkedProbe: (webhookId) => `${prefix}:parked:${webhookId}:probe`,
    oauth2Token: (configId) => `${prefix}:oauth2:token:${configId}`,
    oauth2TokenLock: (configId) => `${prefix}:oauth2:lock:${configId}`,
    oauth2TokensPattern: `${prefix}:oauth2:token:*`,
  };
}

/** How long a minute's delivery outcomes are kept: a day, and the minute itself. */
export const DELIVERIES_PER_MINUTE_TTL_SECONDS = 86_400 + 60;

/** Events Herald publishes about itself, so that they can be webhooked too. */
export const OPERATIONAL_EVENT_TYPES = [
  'circuit_breaker.opened',
  'circuit_breaker.half_open',
  'circuit_breaker.closed',
  'rate_limit.exceeded',
  'webhook.disabled',
  'webhook.backlog_full',
  'webhook.auth_failed',
  'webhook.certificate_expiring',
  'delivery.dead_lettered',
] as const;
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

export function isOperationalEventType(type: string): type is OperationalEventType {
  return (OPERATIONAL_EVENT_TYPES as readonly string[]).includes(type);
}
