import { openTestDataSource, testDatabases } from '@test/support/databases';

describe.each(testDatabases())('openTestDataSource on $kind', (db) => {
  it('runs every migration on a scratch database and removes it on close', async () => {
    const opened = await openTestDataSource(db);
    try {
      const runner = opened.dataSource.createQueryRunner();
      const present = [];
      for (const table of ['users', 'hosts', 'facts', 'hostgroups', 'smart_proxies']) present.push(await runner.hasTable(table));
      await runner.release();
      expect(present).toEqual([true, true, true, true, true]);
    } finally {
      await opened.close();
    }
    expect(opened.dataSource.isInitialized).toBe(false);
  });
});
