export { AppError } from './errors/app-error';
export { ConfigError, type ConfigProblem } from './errors/config-error';
export { InvalidWebhookError } from './errors/invalid-webhook-error';
export { BacklogFullError } from './errors/backlog-full-error';
export { StorageFullError } from './errors/storage-full-error';
export { RedisUnreachableError, type RedisUnreachableReason } from './errors/redis-unreachable-error';
export {
  parseEnv,
  loadEnvOrExit,
  envBoolean,
  envHostList,
  envInt,
  envPort,
  redisUrlSchema,
  prefixSchema,
  logLevelSchema,
  commonEnvShape,
  checkRedisSettings,
  checkEncryptionKeys,
  secretBoxFromEnv,
  redisTargetFromEnv,
  partitionCountFromEnv,
  DEFAULT_CLUSTER_PARTITIONS,
} from './config/env';
export { PartitionLayout, partitionOf, partitionPrefix } from './partitions/partition-layout';
export { ensurePartitionCount, PartitionCountError } from './partitions/partition-count';
export { PartitionLeases, type LeaseChanges } from './partitions/partition-leases';
export { EventRouter, type RoutedEvent, type RoutedMarkers } from './partitions/event-router';
export { placedWebhookIds } from './partitions/webhook-placement';
export { FifoLines, readFifoHeads, fifoLineOf, fifoOrderKey, fifoJobId, parseFifoMember, type FifoHead, type FifoDelivery, type FifoFigures, type BlockedLine, type BlockedHead } from './fifo/fifo-lines';
export {
  FANOUT_GROUP,
  DELIVERY_QUEUE,
  DELIVERIES_PER_MINUTE_TTL_SECONDS,
  OPERATIONAL_EVENT_TYPES,
  isOperationalEventType,
  redisKeys,
  type OperationalEventType,
  type RedisKeys,
} from './keys';
export { newEventId, newWebhookId, eventIdForStreamEntry, deliveryIdFor, replayJobId } from './ids';
export { matchesEventType, matchesAnyPattern, mostSpecificPattern } from './patterns';
export { FILTER_LIMITS, ENVELOPE_FIELDS } from './filters/filter-limits';
export { parseFilter, FIELD_OPERATORS, LOGICAL_OPERATORS, type FilterNode, type FilterIssue, type FieldCondition, type ParsedFilter } from './filters/parse-filter';
export { compileFilter, InvalidFilterError, type CompiledFilter } from './filters/compile-filter';
export { filterDocumentSchema, type FilterDocument } from './filters/filter-schema';
export { filterDocumentFor, hasFilters, type FilteredWebhook } from './filters/webhook-filter';
export { maxAttempts, retryDelayMs, type RandomSource } from './retry';
export { createLogger, REDACTED_PATHS, type Logger } from './logger';
export { createRedis, createBullMQConnection, createDeliveryQueue, execOrThrow, waitUntilConnected } from './redis';
export { EventsStream, TRIM_SCAN_LIMIT } from './stream/events-stream';
export { PayloadStore } from './payloads/payload-store';
export { DeliveryCounters, type DeliveryCounts, type DeliveryTotals, type EventRates } from './counters/delivery-counters';
export { ParkingLot, type ParkedDelivery } from './parking/parking-lot';
export { RedisProbe, describeRedisFailure, type RedisFailure } from './redis-probe';
export type { RedisClient, RedisTarget } from './redis-client';
export { LuaScript, type LuaArg } from './lua/lua-script';
export { redisReplyCode, isRedisOutOfMemory, isRedisTopologyChange } from './errors/redis-reply';
export { redisMemoryRatio } from './redis-memory';
export {
  DELIVERY_JOB_NAME,
  DELIVERY_BACKOFF_TYPE,
  deliveryJobDataSchema,
  deliveryJob,
  jobEventId,
  type DeliveryJobOptions,
  type DeliveryJobData,
  type DeliveryJobSpec,
} from './jobs';
export { STREAM_FIELDS, decodeStreamEntry, routedItem, type DecodedEntry } from './stream-entry';
export { signStandardWebhook, verifyStandardWebhook, type SignInput, type VerifyInput, type VerifyResult } from './signing/standard-webhooks';
export { signBodyHmac, type BodyHmacAlgorithm } from './signing/body-hmac';
export { generateSigningSecret, signingKey, constantTimeEqual, SECRET_PREFIX } from './signing/secret';
export {
  eventTypeSchema,
  eventPatternSchema,
  tenantSchema,
  durationMsSchema,
  numberFromText,
  timeMsSchema,
  envDurationMsSchema,
  parseDurationMs,
  jsonDepth,
  MAX_JSON_DEPTH,
  DEFAULT_TENANT,
  plainMessages,
  protoKeyIssues,
} from './schemas/common';
export {
  eventInputSchema,
  storedEventSchema,
  MAX_EVENT_BYTES,
  type EventInput,
  type ParsedEventInput,
  type StoredEvent,
} from './schemas/event';
export {
  retryPolicySchema,
  DEFAULT_RETRY_POLICY,
  MAX_RETRIES,
  type RetryPolicy,
  type RetryPolicyInput,
} from './schemas/retry-policy';
export {
  webhookCreateObject,
  webhookCreateSchema,
  webhookUpdateSchema,
  webhookSchema,
  webhookUrlSchema,
  webhookNameSchema,
  authSchema,
  oauth2AuthMethod,
  OAUTH2_RESERVED_PARAMS,
  rateLimitSchema,
  circuitBreakerSchema,
  orderingSchema,
  orderingKeyPathSchema,
  type Ordering,
  toPublicWebhook,
  MASKED_HEADER_VALUE,
  RESERVED_HEADER_NAMES,
  type Webhook,
  type WebhookCreate,
  type WebhookUpdate,
  type WebhookAuth,
  type PublicWebhook,
} from './schemas/webhook';
export { clientTlsSchema, clientTlsProblems, clientCertExpiresAtMs, pemCertificates, type ClientTls } from './schemas/client-tls';
export {
  deliveryAttemptSchema,
  deadLetterSchema,
  type DeliveryAttempt,
  type DeadLetter,
} from './schemas/delivery';
export { WebhookStore, oldestWebhookFirst, type WebhookSnapshot, type WebhookChanges, type RouteSnapshot, type WebhookStoreOptions } from './store/webhook-store';
export { tenantDigest, type WebhookRoute } from './store/webhook-routes';
export { DeadLetterStore } from './dead-letters/dead-letter-store';
export {
  PartitionDeadLetters,
  encodeCursor,
  decodeCursor,
  type DeadLetterFilter,
  type DeadLetterCursor,
  type DeadLetterPage,
} from './dead-letters/partition-dead-letters';
export { TokenStore, hashToken, storedTokenSchema, type StoredToken } from './store/token-store';
export { isMetadataAddress, isMetadataHost, isPublicAddress, refusedAddress, refusedTargetUrl, targetPolicyFromEnv, type TargetPolicy } from './url-safety';
export { SecretBox, PLAIN_SECRETS, ENCRYPTION_KEY_BYTES } from './crypto/secret-box';
export { SecretKeyError } from './errors/secret-key-error';
export { refusedWebhookTargets } from './webhook-targets';
export { dropCachedTokens } from './store/cached-tokens';
export { EMPTY_HOST_LIST, listsAddress, listsHost, parseHostList, type HostList } from './host-list';
export {
  renderTemplate,
  templateFor,
  expandTemplate,
  defaultEnvelope,
  isTemplatePreset,
  TEMPLATE_PRESETS,
  PRESET_VARS,
  type TemplatePreset,
  type RenderResult,
} from './template';
export {
  configFileSchema,
  configWebhookSchema,
  parseConfigFile,
  loadConfigDocument,
  parseConfigYaml,
  refuseDeepDocument,
  envReferencePaths,
  resolveEnvReferences,
  type ConfigFile,
} from './config-file';
export { SystemGauges } from './system-gauges';
export {
  CircuitBreaker,
  circuitSettings,
  readCircuitChanges,
  type CircuitChanges,
  type CircuitDefaults,
  type CircuitEffect,
  type CircuitSettings,
  type CircuitStatus,
} from './circuit/circuit-breaker';
export { CircuitStatuses } from './circuit/circuit-statuses';
