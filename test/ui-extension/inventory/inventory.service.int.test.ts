import { createAuditRepository } from '@server/audit/audit.repository';
import { createAuditService } from '@server/audit/audit.service';
import { createInventoryStore } from '@server/inventory/inventory.repository';
import { createInventoryService } from '@server/inventory/inventory.service';
import { createProxySyncService } from '@server/inventory/proxy-sync.service';
import { createLogger } from '@server/logger';
import { openTestDataSource, testDatabases, type OpenTestDataSource } from '@test/support/databases';

const NOW = new Date('2025-06-15T12:00:00.000Z');

describe.each(testDatabases())('seedDemoInventory on $kind', (database) => {
  let db: OpenTestDataSource;

  beforeAll(async () => {
    db = await openTestDataSource(database);
  });

  afterAll(async () => {
    await db?.close();
  });

  it('imports the demo proxies and hostgroups, then demo nodes land in them through the proxy sync', async () => {
    const store = createInventoryStore(db.dataSource);
    const logger = createLogger({ level: 'silent' });
    const audit = createAuditService({ repo: createAuditRepository(db.dataSource), clock: () => NOW, logger });
    const inventory = createInventoryService({ store, audit, clock: () => NOW, logger });
    expect(await inventory.seedDemoInventory()).toBe(true);
    expect((await store.smartProxies.list()).map((p) => [p.name, p.demo])).toEqual([['puppet-a.demo', true], ['puppet-b.demo', true]]);

    const sync = createProxySyncService({
      store,
      audit,
      clock: () => NOW,
      logger,
      getInfo: async () => ({ name: 'demo', version: '1.0.0', transport: 'TRANSPORT_DEMO', capabilities: ['remote_execution', 'demo'], demo: true }),
      listNodes: async (url) => (url === '127.0.0.1:50051' ? [{ identity: 'demo-web-1.demo', facts: { rex_hostgroup: 'base/web', osfamily: 'RedHat' }, classes: [], agents: ['rpcutil'] }] : []),
    });
    await sync.syncAll();
    expect(await inventory.findTargets({ search: 'parent_hostgroup = base and puppetmaster = puppet-a.demo' })).toEqual([
      expect.objectContaining({ name: 'demo-web-1.demo', hostgroup_id: expect.any(Number) }),
    ]);
    // With hosts present the seed leaves the inventory alone.
    expect(await inventory.seedDemoInventory()).toBe(false);
  });
});
