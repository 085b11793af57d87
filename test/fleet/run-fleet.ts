/**
 * Runs a Choria fleet standalone until SIGINT/SIGTERM, e.g. after `npm run build`:
 *   node dist/test/fleet/run-fleet.js --count 1000 --collective mcollective --latency-ms 20
 * Prints one JSON line when ready and one with the stats every --stats-every seconds (0 = never).
 */
import { parseArgs } from 'node:util';

import { startChoriaFleet } from './choria-fleet';

const USAGE = `options:
  --nats-url URL          default nats://127.0.0.1:4222
  --count N               number of nodes (default 100)
  --identity-prefix P     identities are P00001, P00002, ... (default node-)
  --domain D              appended to identities as .D (default none)
  --collective C          default mcollective
  --latency-ms MS         answer delay per node (default 0)
  --failure-rate R        share of nodes whose package/service/puppet actions fail, 0..1 (default 0)
  --silent ID[,ID...]     identities that never answer
  --seed S                fixes facts and failing nodes (default 1)
  --subscription MODE     wildcard (one <collective>.node.> subscription) or each (default wildcard)
  --reject-insecure       drop requests whose signature is "insecure"
  --stats-every SECONDS   print stats periodically (default 0)

SIGUSR2 prints one "fleet report" line: per agent#action and identity, directed requests received and answered.`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'nats-url': { type: 'string', default: 'nats://127.0.0.1:4222' },
      count: { type: 'string', default: '100' },
      'identity-prefix': { type: 'string', default: 'node-' },
      domain: { type: 'string' },
      collective: { type: 'string', default: 'mcollective' },
      'latency-ms': { type: 'string', default: '0' },
      'failure-rate': { type: 'string', default: '0' },
      silent: { type: 'string', default: '' },
      seed: { type: 'string', default: '1' },
      subscription: { type: 'string', default: 'wildcard' },
      'reject-insecure': { type: 'boolean', default: false },
      'stats-every': { type: 'string', default: '0' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const count = Number(values.count);
  const failureRate = Number(values['failure-rate']);
  const subscription = values.subscription;
  const problems: string[] = [];
  if (!Number.isInteger(count) || count < 1) problems.push('--count must be a positive integer');
  if (!(failureRate >= 0 && failureRate <= 1)) problems.push('--failure-rate must be between 0 and 1');
  if (subscription !== 'wildcard' && subscription !== 'each') problems.push('--subscription must be wildcard or each');
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const fleet = await startChoriaFleet({
    natsUrl: values['nats-url'] as string,
    count,
    identityPrefix: values['identity-prefix'],
    domain: values.domain,
    collective: values.collective,
    latencyMs: Number(values['latency-ms']),
    failureRate,
    silentIdentities: (values.silent as string).split(',').filter(Boolean),
    seed: values.seed,
    subscription: subscription as 'wildcard' | 'each',
    allowInsecure: !values['reject-insecure'],
  });
  process.stdout.write(
    `${JSON.stringify({ msg: 'fleet ready', nodes: fleet.identities.length, first: fleet.identities[0], last: fleet.identities.at(-1), subscribeMs: fleet.subscribeMs })}\n`,
  );
  const every = Number(values['stats-every']);
  const timer = every > 0 ? setInterval(() => process.stdout.write(`${JSON.stringify({ msg: 'fleet stats', ...fleet.stats, lastErrors: undefined })}\n`), every * 1000) : undefined;
  const shutdown = (): void => {
    if (timer) clearInterval(timer);
    void fleet.stop().then(() => process.stdout.write(`${JSON.stringify({ msg: 'fleet stopped', ...fleet.stats, lastErrors: undefined })}\n`));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  process.on('SIGUSR2', () => process.stdout.write(`${JSON.stringify({ msg: 'fleet report', at: Date.now(), byAction: fleet.seen() })}\n`));
}

main().catch((err: unknown) => {
  process.stderr.write(`fleet failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
