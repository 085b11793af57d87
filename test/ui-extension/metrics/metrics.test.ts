/**
 * The ui-extension's metrics registry with fake sources (a unit test: no database; the integration
 * test scrapes the real thing). The fakes stand for the job repository, the mysql2 pool and the
 * long-poll waiters, so a database outage and the SQLite case can be shown without a server.
 */
import { silentLogger } from '@server/logger';
import { createServerMetrics, type MetricsSources } from '@server/metrics/metrics';

const line = (text: string, prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));

function sources(overrides: Partial<MetricsSources> = {}): MetricsSources {
  return {
    jobsByState: async () => [{ state: 'running', count: 3 }, { state: 'succeeded', count: 40 }],
    pool: () => ({ size: 10, open: 4, inUse: 3, waiting: 2 }),
    longPollsWaiting: () => 7,
    ...overrides,
  };
}

describe(createServerMetrics.name, () => {
  it('reports every job state (0 when none), the pool and the waiting long polls at scrape time', async () => {
    const metrics = createServerMetrics({ logger: silentLogger() });
    metrics.attach(sources());
    const { contentType, body } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(line(body, 'rex_jobs{state="running"}')).toBe('rex_jobs{state="running"} 3');
    expect(line(body, 'rex_jobs{state="succeeded"}')).toBe('rex_jobs{state="succeeded"} 40');
    expect(line(body, 'rex_jobs{state="queued"}')).toBe('rex_jobs{state="queued"} 0');
    expect(line(body, 'rex_database_up')).toBe('rex_database_up 1');
    expect(line(body, 'rex_db_pool_connections{state="in_use"}')).toBe('rex_db_pool_connections{state="in_use"} 3');
    expect(line(body, 'rex_db_pool_connections{state="idle"}')).toBe('rex_db_pool_connections{state="idle"} 1');
    expect(line(body, 'rex_db_pool_connections{state="waiting"}')).toBe('rex_db_pool_connections{state="waiting"} 2');
    expect(line(body, 'rex_db_pool_connections{state="size"}')).toBe('rex_db_pool_connections{state="size"} 10');
    expect(line(body, 'rex_long_polls_waiting ')).toBe('rex_long_polls_waiting 7');
    expect(line(body, 'process_cpu_user_seconds_total')).toBeDefined();
  });

  it('still answers during a database outage, with rex_database_up 0 and no stale job counts', async () => {
    const metrics = createServerMetrics({ logger: silentLogger() });
    let down = false;
    metrics.attach(sources({ jobsByState: async () => (down ? Promise.reject(new Error('connect ECONNREFUSED')) : [{ state: 'running', count: 3 }]) }));
    expect(line((await metrics.render()).body, 'rex_jobs{state="running"}')).toBe('rex_jobs{state="running"} 3');
    down = true;
    const { body } = await metrics.render();
    expect(line(body, 'rex_database_up')).toBe('rex_database_up 0');
    expect(line(body, 'rex_jobs{')).toBeUndefined();
  });

  it('has no pool series on SQLite (no pool)', async () => {
    const metrics = createServerMetrics({ logger: silentLogger() });
    metrics.attach(sources({ pool: () => undefined }));
    expect(line((await metrics.render()).body, 'rex_db_pool_connections{')).toBeUndefined();
  });

  it('counts host results by state, stream latency and errors by proxy, scheduler lag and HTTP time by route', async () => {
    const metrics = createServerMetrics({ logger: silentLogger() });
    metrics.hostResultsStored(['succeeded', 'succeeded', 'no_response']);
    metrics.proxyStreamLatency('puppet-a', 0.02);
    // A proxy clock ahead of ours must not make a negative observation.
    metrics.proxyStreamLatency('puppet-a', -0.5);
    metrics.proxyStreamError('puppet-b', 'UNAVAILABLE');
    metrics.schedulerLag(1.5);
    metrics.httpRequest('GET', '/api/v2/remote_execution/jobs/:id', 200, 0.03);
    metrics.httpRequest('GET', '/api/v2/remote_execution/jobs/:id', 503, 0.01);
    const { body } = await metrics.render();
    expect(line(body, 'rex_host_results_total{state="succeeded"}')).toBe('rex_host_results_total{state="succeeded"} 2');
    expect(line(body, 'rex_host_results_total{state="no_response"}')).toBe('rex_host_results_total{state="no_response"} 1');
    expect(line(body, 'rex_proxy_stream_latency_seconds_count{proxy="puppet-a"}')).toBe('rex_proxy_stream_latency_seconds_count{proxy="puppet-a"} 2');
    expect(line(body, 'rex_proxy_stream_latency_seconds_bucket{le="0.005",proxy="puppet-a"}')).toBe('rex_proxy_stream_latency_seconds_bucket{le="0.005",proxy="puppet-a"} 1');
    expect(line(body, 'rex_proxy_stream_errors_total{proxy="puppet-b",code="UNAVAILABLE"}')).toBe('rex_proxy_stream_errors_total{proxy="puppet-b",code="UNAVAILABLE"} 1');
    expect(line(body, 'rex_scheduler_lag_seconds_sum')).toBe('rex_scheduler_lag_seconds_sum 1.5');
    expect(line(body, 'rex_http_request_duration_seconds_count{method="GET",route="/api/v2/remote_execution/jobs/:id",status="2xx"}')).toMatch(/ 1$/);
    expect(line(body, 'rex_http_request_duration_seconds_count{method="GET",route="/api/v2/remote_execution/jobs/:id",status="5xx"}')).toMatch(/ 1$/);
  });

  it('keeps the series of two instances apart (one registry each)', async () => {
    const a = createServerMetrics({ logger: silentLogger() });
    const b = createServerMetrics({ logger: silentLogger() });
    a.hostResultsStored(['failed']);
    expect(line((await a.render()).body, 'rex_host_results_total{state="failed"}')).toMatch(/ 1$/);
    expect(line((await b.render()).body, 'rex_host_results_total{state="failed"}')).toBeUndefined();
  });
});
