// A second worker on one host, given the same HERALD_METRICS_PORT: it runs on the next free port
// and says so, instead of dying with EADDRINUSE.
import { freePort, startHerald, type Herald } from '@herald/testing';

let herald: Herald | undefined;

afterAll(async () => {
  await herald?.stop();
});

it('takes the next free metrics port when the configured one is taken, and logs which', async () => {
  herald = await startHerald('metrics-port', { workers: 0 });
  const port = await freePort();
  const first = await herald.startWorker({ HERALD_METRICS_PORT: String(port) });
  expect(first.metricsUrl).toBe(`http://127.0.0.1:${port}`);

  const second = await herald.startWorker({ HERALD_METRICS_PORT: String(port) });
  expect(second.metricsUrl).not.toBe(first.metricsUrl);
  expect((await fetch(`${second.metricsUrl}/healthz`)).status).toBe(200);
  const warning = second.logs().find((line) => line.level === 40 && /HERALD_METRICS_PORT/.test(String(line.msg)));
  expect(warning).toMatchObject({ requestedPort: port, port: Number(new URL(second.metricsUrl).port) });
  expect(second.output()).not.toMatch(/EADDRINUSE/);
  expect(second.child.exitCode).toBeNull();
});
