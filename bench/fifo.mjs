// Ordered delivery, measured: one FIFO webhook ordering by `data.k` over `keys` keys, draining
// `events` events written to the stream before the workers start (as herald-drain-2w does for a
// webhook without ordering, which the run compares it with). Each line delivers one event per round
// trip; the lines run in parallel up to the webhook's in-flight cap, set to the workers' concurrency
// here. run.mjs passes in its harness.

/** The drain: deliveries/s, Redis commands per delivery, the workers' CPU per delivery. */
export async function fifoDrain(h, { events, workers, keys, maxInFlight }) {
  // The in-flight cap (per worker) as high as the worker's concurrency, so that every line can have its head out.
  const { prefix, env, api } = await h.startApi({ webhookSettings: { ordering: { mode: 'fifo', key: 'data.k' }, maxInFlight } });
  await h.stop([api]);
  const stream = `${prefix}:events`;
  for (let i = 0; i < events; i += 1000) {
    const pipeline = h.redis.pipeline();
    for (let n = i; n < Math.min(events, i + 1000); n++) pipeline.xadd(stream, '*', 'event', JSON.stringify({ type: 'bench.event', data: { n, k: `k${n % keys}` } }));
    await pipeline.exec();
  }
  await h.resetReceiver(h.receiver);
  const commandsBefore = await h.commandCounts(h.redis);
  const workerProcs = await h.startWorkers(workers, env);
  const cpuBefore = workerProcs.map((w) => h.cpuSeconds(w.pid));
  const final = await h.waitForDeliveries(h.receiver, events, 600_000);
  const workerCpu = workerProcs.reduce((sum, w, i) => sum + h.cpuSeconds(w.pid) - cpuBefore[i], 0);
  const commands = await h.commandsPerDelivery(h.redis, commandsBefore, events);
  await h.stop(workerProcs);
  return {
    deliveriesPerSecond: Math.round(events / ((final.lastAt - final.firstAt) / 1000)),
    keys,
    maxInFlight,
    deliveriesPerLinePerSecond: Math.round((events / keys / ((final.lastAt - final.firstAt) / 1000)) * 10) / 10,
    redisCommandsPerDelivery: commands.total,
    redisCommandsByType: commands.byCommand,
    workerCpuMicrosPerDelivery: Math.round((workerCpu * 1e6) / events),
  };
}
