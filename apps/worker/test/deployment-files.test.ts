// The docker/ files cannot run here (no Docker engine): this keeps them honest by parsing them and
// checking them against what Herald actually serves.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { commonEnvShape } from '@herald/shared';

const DOCKER = join(__dirname, '..', '..', '..', 'docker');
const read = (path: string) => readFileSync(join(DOCKER, path), 'utf8');

/** Every metric name the source defines. */
function definedMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== 'node_modules' && entry.name !== 'dist') walk(path);
      else if (entry.name.endsWith('.ts')) for (const m of readFileSync(path, 'utf8').matchAll(/name: '(herald_[a-z_]+)'/g)) names.add(m[1]!);
    }
  };
  for (const root of ['apps', 'packages']) walk(join(DOCKER, '..', root));
  return names;
}

function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b(herald_[a-z_]+?)(?:_bucket|_count|_sum)?\b/g)].map((m) => m[1]!);
}

describe('docker/', () => {
  it('has a compose file with redis (AOF), api, a scalable worker, prometheus and grafana', () => {
    // Compose resolves YAML merge keys (<<: *herald-env); so must the parser.
    const compose = parse(read('compose.yaml'), { merge: true });
    expect(Object.keys(compose.services).sort()).toEqual(['api', 'grafana', 'prometheus', 'redis', 'worker']);
    expect(compose.services.redis.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(compose.services.worker.container_name).toBeUndefined();
    expect(compose.services.worker.ports).toBeUndefined();
    expect(compose.services.worker.environment.HERALD_PREFIX).toBe('{herald}');
    // Compose kills a container 10 s after SIGTERM unless told otherwise: longer than the drain.
    for (const app of ['api', 'worker']) {
      const drainMs = Number(compose.services[app].environment.HERALD_SHUTDOWN_TIMEOUT_MS ?? commonEnvShape.HERALD_SHUTDOWN_TIMEOUT_MS.parse(undefined));
      expect(compose.services[app].build).toMatchObject({ dockerfile: 'docker/Dockerfile', target: app });
      expect(compose.services[app].environment.REDIS_URL).toBe('redis://redis:6379');
      const grace = /^(\d+)s$/.exec(String(compose.services[app].stop_grace_period));
      expect(grace && Number(grace[1]) * 1000).toBeGreaterThan(drainMs);
    }
  });

  it.each(['api', 'worker'])('builds %s from the shared build stage with pnpm deploy, runs it as a non-root user', (app) => {
    // The stages: build, runtime-files, runtime, then one per app (packages/release/test/images.test.ts builds and runs them).
    const stages = read('Dockerfile').split(/^(?=FROM )/m).filter((stage) => stage.startsWith('FROM '));
    const named = Object.fromEntries(stages.map((stage) => [/^FROM \S+ AS (\S+)/.exec(stage)?.[1], stage]));
    expect(named.build).toMatch(new RegExp(`pnpm --filter @herald/${app} deploy --prod`));
    expect(named[app]).toMatch(/^FROM runtime AS/);
    expect(named[app]).toContain(`COPY --from=build /out/${app} ./`);
    expect(named[app]).toMatch(/CMD \["node", "dist\/index.js"\]/);
    expect(named[app]).toMatch(/^HEALTHCHECK .*\/readyz/m);
    expect(named.runtime).toMatch(/^FROM scratch AS runtime/);
    expect(named.runtime).toMatch(/^USER node$/m);
  });

  it('scrapes the API and every worker, and alerts on metrics Herald defines', () => {
    const prometheus = parse(read('prometheus/prometheus.yml'));
    const jobs = Object.fromEntries(prometheus.scrape_configs.map((job: { job_name: string }) => [job.job_name, job]));
    expect(jobs['herald-api'].static_configs[0].targets).toEqual(['api:8080']);
    expect(jobs['herald-worker'].dns_sd_configs[0]).toMatchObject({ names: ['worker'], port: 9464 });
    const defined = definedMetrics();
    const rules = parse(read('prometheus/alerts.yml')).groups.flatMap((group: { rules: { alert: string; expr: string }[] }) => group.rules);
    expect(rules.map((rule: { alert: string }) => rule.alert)).toEqual(
      expect.arrayContaining(['HeraldDeadLettersGrowing', 'HeraldQueueDepthGrowing', 'HeraldSuccessRateDropping']),
    );
    for (const rule of rules) for (const metric of metricsIn(rule.expr)) expect(defined).toContain(metric);
  });

  it('provisions a Grafana dashboard whose panels query metrics Herald defines', () => {
    const dashboard = JSON.parse(read('grafana/dashboards/herald.json'));
    const defined = definedMetrics();
    const titles = dashboard.panels.map((panel: { title: string }) => panel.title).join(' | ');
    for (const topic of ['Deliveries per second', 'Success rate', 'latency', 'Queue depth', 'Dead letters', 'Open circuits']) {
      expect(titles).toContain(topic);
    }
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) for (const metric of metricsIn(target.expr)) expect(defined).toContain(metric);
    }
    expect(parse(read('grafana/provisioning/datasources/prometheus.yml')).datasources[0].url).toBe('http://prometheus:9090');
  });
});
