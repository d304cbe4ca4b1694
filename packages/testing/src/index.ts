export { waitFor, WaitAborted, type WaitOptions } from './wait';
export { freePort, startRedisServer, type RedisServerOptions, type RunningRedis } from './redis-server';
export { startReceiver, receiverPool, type Receiver, type ReceivedRequest, type Reply, type Responder } from './receiver';
export {
  spawnApp,
  waitForLog,
  startApi,
  startWorker,
  TEST_ADMIN_TOKEN,
  type HeraldProcess,
  type RunningApi,
  type RunningWorker,
} from './processes';
export { startRedisCluster, type RedisClusterOptions, type RunningRedisCluster } from './redis-cluster';
export { uniquePrefix, testRedisUrl } from './prefix';
export { apiClient, type ApiClient, type ApiClientOptions, type ApiResponse } from './api-client';
export { OpenApiValidator, OpenApiMismatch, OPENAPI_DOCUMENT_PATH, type Exchange } from './openapi-validator';
export { createTestPki, type TestPki } from './test-pki';
export { startConnectProxy, type ConnectProxy } from './connect-proxy';
export { startHerald, createWebhook, publish, publishBatch, FAST_WORKER_ENV, type Herald, type HeraldOptions } from './herald';
