/// <reference lib="dom" />
/**
 * axe-core (Deque's accessibility rules engine, the npm package) run inside the page under test.
 * Its source is evaluated through the DevTools protocol, which the page's Content-Security-Policy
 * does not govern, so the strict CSP stays on while it runs (an injected <script> would be refused).
 */
import fs from 'node:fs';
import type { Page } from 'playwright-core';

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  /** CSS selectors of the offending elements (at most five), for the failure message. */
  targets: string[];
}

/**
 * Runs every axe rule for WCAG 2.x A and AA (and best practices) on the page once its transitions
 * ended: a menu or dialog still fading in has half its contrast, which is no finding about the page.
 */
export async function axeFindings(page: Page): Promise<AxeFinding[]> {
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'));
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: unknown): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: Array<{ target: unknown[] }> }> }> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map((n) => JSON.stringify(n.target)) }));
  });
}

/** The findings axe rates critical or serious: what the acceptance allows none of. */
export async function seriousFindings(page: Page): Promise<AxeFinding[]> {
  return (await axeFindings(page)).filter((f) => f.impact === 'critical' || f.impact === 'serious');
}
