/**
 * The live preview of the run form (issue #17) in a real browser (Debian's chromium) against the
 * real stack: two demo proxies over gRPC with 30 nodes each, the ui-extension on SQLite, the built
 * web UI. The bulk action on the hosts list shows how many hosts on how many proxies will run
 * before Run is pressed, follows the target search as it is edited (one request per pause in
 * typing, not one per key), says when nothing matches, and creates no job while previewing; the
 * Rerun dialog previews the replay the same way.
 */
import { seriousFindings } from './support/axe';
import { logIn, screenshot } from './support/browser';
import { browserSuite } from './support/suite';
import { ADMIN_PASSWORD } from './support/stack';

jest.setTimeout(120_000);

describe('web UI: live run preview', () => {
  const suite = browserSuite([{ name: 'puppet-a.demo', nodes: 30, prefix: 'node-a' }, { name: 'puppet-b.demo', nodes: 30, prefix: 'node-b' }]);
  const auth = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` };
  const jobTotal = async () => ((await (await fetch(`${suite.stack.url}/api/v2/remote_execution/jobs?per_page=1`, { headers: auth })).json()) as { total: number }).total;


  it('shows the live preview count in the bulk run form and follows the edited target search', async () => {
    await logIn(suite.page);
    const jobsBefore = await jobTotal();
    await suite.page.goto(`/hosts?search=${encodeURIComponent('name ~ node-a')}&per_page=10`);
    await suite.page.getByRole('checkbox', { name: 'Select all rows' }).check();
    await suite.page.getByRole('button', { name: 'Select all 30 matching' }).click();
    await suite.page.getByRole('button', { name: 'Run remote action (30)' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Run remote action' });
    await dialog.getByLabel('Namespace').selectOption('rpcutil');
    await dialog.getByLabel('Action', { exact: true }).selectOption('ping');
    const preview = dialog.getByTestId('run-preview');
    await preview.and(suite.page.locator('[data-state="ready"]')).waitFor();
    await dialog.getByText('30 hosts on 1 smart proxy will run').waitFor();
    expect(await preview.getAttribute('data-will-run')).toBe('30');
    await screenshot(suite.page, 'run-preview-bulk');

    // Typing a new search asks for a preview after the pause, not on every key.
    const previews: string[] = [];
    suite.page.on('request', (r) => {
      if (r.url().includes('/remote_execution/jobs/preview')) previews.push(r.postData() ?? '');
    });
    const target = dialog.getByLabel('Target hosts (search)');
    await target.fill('');
    await target.pressSequentially('name ~ node-', { delay: 30 });
    await dialog.getByText('60 hosts on 2 smart proxies will run').waitFor();
    expect(await preview.getAttribute('data-will-run')).toBe('60');
    expect(previews.length).toBeLessThan('name ~ node-'.length / 2);
    expect(previews[previews.length - 1]).toContain('name ~ node-');
    expect(await seriousFindings(suite.page)).toEqual([]);
    await screenshot(suite.page, 'run-preview-edited');

    await target.fill('name = no-such-host');
    await dialog.getByText('no host you may run on matches this targeting').waitFor();
    expect(await preview.getAttribute('data-state')).toBe('empty');
    expect(await jobTotal()).toBe(jobsBefore);

    // What runs is the target previewed last.
    await target.fill('name ~ node-b0000');
    await dialog.getByText('9 hosts on 1 smart proxy will run').waitFor();
    await dialog.getByRole('button', { name: 'Run now' }).click();
    await suite.page.getByTestId('job-progress-text').filter({ hasText: '100% of 9 hosts done' }).waitFor({ timeout: 60_000 });

    // The Rerun dialog previews the replay: no host failed, so "failed hosts only" matches nothing.
    await suite.page.getByRole('button', { name: 'Rerun', exact: true }).click();
    const rerun = suite.page.getByRole('dialog', { name: /^Rerun/ });
    await rerun.getByText('no host you may run on matches this targeting').waitFor();
    await rerun.getByLabel('All hosts of this job (9)').check();
    await rerun.getByText('9 hosts on 1 smart proxy will run').waitFor();
    await screenshot(suite.page, 'run-preview-rerun');
    expect(await jobTotal()).toBe(jobsBefore + 1);
  });

  it('previews the one host of a host page before Run now', async () => {
    await logIn(suite.page);
    await suite.page.getByRole('link', { name: /^node-a/ }).first().click();
    await suite.page.getByRole('button', { name: 'Remote management' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Run remote action' });
    await dialog.getByLabel('Namespace').selectOption('rpcutil');
    await dialog.getByLabel('Action', { exact: true }).selectOption('ping');
    await dialog.getByText('1 host on 1 smart proxy will run').waitFor();
    expect(await dialog.getByLabel('Target hosts (search)').count()).toBe(0);
  });
});
