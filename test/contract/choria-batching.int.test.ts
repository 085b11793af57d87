/**
 * The proxy through gRPC on the real NATS server with the Choria test fleet: batching with sleep,
 * silent nodes ending NO_RESPONSE, and cancel — the paths the unit tests cover with a fake broker.
 */
import { createProxyClients } from '@server/proxies/proxy-client';
import { silentLogger } from '@server/logger';
import type { ExecuteEvent__Output } from '@protos/generated/rex/proxy/v1/ExecuteEvent';
import { runProxy, type RunningProxy } from '@proxy/main';
import { loadConfig } from '@proxy/config';
import { createLogger } from '@proxy/logger';
import { newRequestId } from '@proxy/broker/choria/protocol';
import { startChoriaFleet, type ChoriaFleet } from '@test/fleet/choria-fleet';
import { TEST_PROXY_SECRET } from '@test/support/proxy-secret';

const NATS_URL = 'nats://127.0.0.1:4222';

describe('proxy-plugin on Choria over NATS', () => {
  const collective = `rexbatch${newRequestId().slice(0, 8)}`;
  let fleet: ChoriaFleet;
  let proxy: RunningProxy;
  const clients = createProxyClients({ deadlineMs: 10_000, logger: silentLogger(), plaintextLoopback: true, callerSecret: TEST_PROXY_SECRET });
  let url: string;

  beforeAll(async () => {
    fleet = await startChoriaFleet({ natsUrl: NATS_URL, count: 20, collective, identityPrefix: 'batch-', silentIdentities: [] });
    const config = loadConfig({
      env: {
        PROXY_PLUGIN_NAME: 'batch-proxy', PROXY_PLUGIN_GRPC_PORT: '0', PROXY_PLUGIN_TRANSPORT: 'choria',
        PROXY_PLUGIN_NATS_URL: NATS_URL, PROXY_PLUGIN_COLLECTIVES: collective, PROXY_PLUGIN_MAIN_COLLECTIVE: collective,
        PROXY_PLUGIN_SECURITY_MODE: 'insecure', PROXY_PLUGIN_AUDIT_FILE: '/dev/null', PROXY_PLUGIN_LOG_LEVEL: 'silent', PROXY_PLUGIN_GRPC_PLAINTEXT: 'true', PROXY_PLUGIN_GRPC_CALLER_SECRET: TEST_PROXY_SECRET,
      },
    });
    proxy = await runProxy(config, createLogger({ level: 'silent' }));
    url = `127.0.0.1:${proxy.port}`;
  });

  afterAll(async () => {
    clients.close();
    await proxy?.stop();
    await fleet?.stop();
  });

  async function execute(request: Record<string, unknown>): Promise<ExecuteEvent__Output[]> {
    const events: ExecuteEvent__Output[] = [];
    await clients.execute(url, { execution_id: newRequestId(), agent: 'rpcutil', action: 'ping', arguments_json: '{}', collective, caller: 'admin', ...request }, (e) => events.push(e));
    return events;
  }

  it('sends batches with the sleep between them and answers every host when batch_size is set', async () => {
    const started = Date.now();
    const events = await execute({ identities: fleet.identities, batch_size: 5, batch_sleep_ms: 100, timeout_seconds: 5 });
    const results = events.filter((e) => e.result).map((e) => e.result!);
    expect(results).toHaveLength(20);
    expect(results.every((r) => r.state === 'HOST_STATE_SUCCEEDED')).toBe(true);
    const sentTimes = [...new Set(results.map((r) => r.sent_at_ms))].sort();
    expect(sentTimes.length).toBeGreaterThanOrEqual(4);
    expect(sentTimes[sentTimes.length - 1] - sentTimes[0]).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
  });

  it('ends identities no node answers for as NO_RESPONSE at the timeout, after the others replied', async () => {
    const events = await execute({ identities: [...fleet.identities.slice(0, 3), 'ghost-1.example.net'], timeout_seconds: 1 });
    const results = events.filter((e) => e.result).map((e) => e.result!);
    const ghost = results.find((r) => r.identity === 'ghost-1.example.net');
    expect(ghost).toMatchObject({ state: 'HOST_STATE_NO_RESPONSE', statuscode: -1 });
    expect(results.filter((r) => r.state === 'HOST_STATE_SUCCEEDED')).toHaveLength(3);
    expect(events[events.length - 1].summary).toMatchObject({ expected: 4, succeeded: 3, no_response: 1 });
  });

  it('cancels a running execution: unsent hosts end CANCELLED', async () => {
    const executionId = newRequestId();
    const events: ExecuteEvent__Output[] = [];
    const running = clients.execute(url, { execution_id: executionId, agent: 'rpcutil', action: 'ping', arguments_json: '{}', collective, caller: 'admin', identities: fleet.identities, batch_size: 2, batch_sleep_ms: 500, timeout_seconds: 5 }, (e) => events.push(e));
    await new Promise((r) => setTimeout(r, 300));
    const cancelled = await clients.cancel(url, executionId);
    await running;
    expect(cancelled.found).toBe(true);
    const results = events.filter((e) => e.result).map((e) => e.result!);
    expect(results).toHaveLength(20);
    expect(results.filter((r) => r.state === 'HOST_STATE_CANCELLED').length).toBeGreaterThanOrEqual(14);
    expect(events[events.length - 1].summary?.state).toBe('EXECUTION_STATE_CANCELLED');
  });
});
