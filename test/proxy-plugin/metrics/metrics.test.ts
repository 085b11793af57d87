/**
 * The proxy's metrics registry (a unit test: the hooks are called directly; the integration test
 * drives them through a real execution and a real NATS restart). The broker is a one-line fake
 * whose connected flag the test sets.
 */
import { createProxyMetrics } from '@proxy/metrics/metrics';

const line = (text: string, prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));

describe(createProxyMetrics.name, () => {
  it('starts the broker counters at 0 and reads the connection state at scrape time', async () => {
    const metrics = createProxyMetrics({ transport: 'mcollective' });
    let connected = true;
    metrics.attachBroker({ isConnected: () => connected });
    let body = (await metrics.render()).body;
    expect(line(body, 'rex_proxy_broker_reconnects_total{transport="mcollective"}')).toBe('rex_proxy_broker_reconnects_total{transport="mcollective"} 0');
    expect(line(body, 'rex_proxy_broker_connected{transport="mcollective"}')).toBe('rex_proxy_broker_connected{transport="mcollective"} 1');
    connected = false;
    metrics.brokerDisconnected();
    metrics.brokerReconnected();
    body = (await metrics.render()).body;
    expect(line(body, 'rex_proxy_broker_connected{transport="mcollective"}')).toBe('rex_proxy_broker_connected{transport="mcollective"} 0');
    expect(line(body, 'rex_proxy_broker_disconnects_total{transport="mcollective"}')).toBe('rex_proxy_broker_disconnects_total{transport="mcollective"} 1');
    expect(line(body, 'rex_proxy_broker_reconnects_total{transport="mcollective"}')).toBe('rex_proxy_broker_reconnects_total{transport="mcollective"} 1');
  });

  it('names the broker node in use, one series at a time, and none while disconnected', async () => {
    const metrics = createProxyMetrics({ transport: 'choria' });
    let server: string | undefined = '10.0.0.1:4222';
    let connected = true;
    metrics.attachBroker({ isConnected: () => connected, currentServer: () => server });
    const series = async () => (await metrics.render()).body.split('\n').filter((l) => l.startsWith('rex_proxy_broker_server{'));
    expect(await series()).toEqual(['rex_proxy_broker_server{transport="choria",server="10.0.0.1:4222"} 1']);
    server = '10.0.0.2:4222';
    expect(await series()).toEqual(['rex_proxy_broker_server{transport="choria",server="10.0.0.2:4222"} 1']);
    connected = false;
    expect(await series()).toEqual([]);
    server = undefined;
    connected = true;
    expect(await series()).toEqual([]);
  });

  it('tracks running executions, their final states, refusals, host results and reply latency', async () => {
    const metrics = createProxyMetrics({ transport: 'choria' });
    metrics.executionStarted();
    metrics.executionStarted();
    metrics.hostResult('SUCCEEDED', 0.2);
    metrics.hostResult('NO_RESPONSE');
    metrics.executionEnded('COMPLETED');
    metrics.executionRefused('PERMISSION_DENIED');
    const body = (await metrics.render()).body;
    expect(line(body, 'rex_proxy_executions_running ')).toBe('rex_proxy_executions_running 1');
    expect(line(body, 'rex_proxy_executions_total{state="completed"}')).toBe('rex_proxy_executions_total{state="completed"} 1');
    expect(line(body, 'rex_proxy_executions_total{state="rejected_permission_denied"}')).toBe('rex_proxy_executions_total{state="rejected_permission_denied"} 1');
    expect(line(body, 'rex_proxy_host_results_total{state="succeeded"}')).toBe('rex_proxy_host_results_total{state="succeeded"} 1');
    expect(line(body, 'rex_proxy_host_results_total{state="no_response"}')).toBe('rex_proxy_host_results_total{state="no_response"} 1');
    // Only replies have a latency.
    expect(line(body, 'rex_proxy_reply_latency_seconds_count')).toBe('rex_proxy_reply_latency_seconds_count 1');
  });

  it('keeps counting host results across scrapes (they are added to the counter when it is read)', async () => {
    const metrics = createProxyMetrics({ transport: 'choria' });
    metrics.hostResult('SUCCEEDED', 0.1);
    metrics.hostResult('SUCCEEDED', 0.1);
    expect(line((await metrics.render()).body, 'rex_proxy_host_results_total{state="succeeded"}')).toBe('rex_proxy_host_results_total{state="succeeded"} 2');
    metrics.hostResult('SUCCEEDED', 0.1);
    metrics.hostResult('FAILED', 0.1);
    const body = (await metrics.render()).body;
    expect(line(body, 'rex_proxy_host_results_total{state="succeeded"}')).toBe('rex_proxy_host_results_total{state="succeeded"} 3');
    expect(line(body, 'rex_proxy_host_results_total{state="failed"}')).toBe('rex_proxy_host_results_total{state="failed"} 1');
    expect(line((await metrics.render()).body, 'rex_proxy_host_results_total{state="succeeded"}')).toBe('rex_proxy_host_results_total{state="succeeded"} 3');
  });
});
