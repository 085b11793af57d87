#!/usr/bin/env node
// `npm test`: checks the services the suites need (starting any that is installed but stopped) and
// the Debian packages of the MCollective test fleet and the Puppet suite (installing them as root
// when missing), then runs the unit, integration and browser suites and closes with one
// "N passed, N failed" line.
// Under CI=true a service or package that cannot be had fails the run; it never skips tests.
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const ci = process.env.CI === 'true' || process.env.CI === '1';

/** The services on loopback and how this machine starts each one (kept in step with docs). */
const SERVICES = [
  { name: 'MariaDB', port: 3306, binary: '/usr/sbin/mariadbd', start: ['start-stop-daemon', '--start', '--oknodo', '--background', '--exec', '/usr/sbin/mariadbd'] },
  { name: 'NATS', port: 4222, binary: '/usr/sbin/nats-server', start: ['start-stop-daemon', '--start', '--oknodo', '--background', '--exec', '/usr/sbin/nats-server', '--', '-a', '127.0.0.1', '-p', '4222', '-js', '-sd', '/var/lib/nats-server', '-l', '/var/log/nats-server.log'] },
];

function reachable(port, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok) => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function ensureService(service) {
  if (await reachable(service.port)) return true;
  if (!fs.existsSync(service.binary)) {
    console.error(`[services] ${service.name} is not installed (${service.binary})`);
    return false;
  }
  console.log(`[services] ${service.name} is down on 127.0.0.1:${service.port}; starting it`);
  try {
    execFileSync(service.start[0], service.start.slice(1), { stdio: 'inherit' });
  } catch (error) {
    console.error(`[services] starting ${service.name} failed: ${error.message}`);
  }
  for (let i = 0; i < 30; i++) {
    if (await reachable(service.port)) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

/** The MCollective fleet (test/fleet/mcollective) runs real daemons from these Debian packages. */
const MCOLLECTIVE_PACKAGES = ['mcollective', 'mcollective-client', 'ruby-stomp', 'rabbitmq-server', 'activemq'];
/** The Puppet suite (test/puppet/) runs a real Puppet Server and PuppetDB with a private PostgreSQL. */
const PUPPET_PACKAGES = ['puppetserver', 'puppetdb', 'dbconfig-no-thanks', 'postgresql-15'];
/**
 * Tools other suites drive: chromium (browser tests, through playwright-core, which cannot download
 * browsers here), tmux, zsh and fish (the CLI's progress bar and its zsh and fish completions), openssl (the TLS tests
 * make their certificates with it) and systemd (`systemd-analyze verify` on contrib/systemd).
 */
const TOOL_PACKAGES = ['chromium', 'tmux', 'zsh', 'fish', 'openssl', 'systemd'];

function missingPackages() {
  return [...MCOLLECTIVE_PACKAGES, ...PUPPET_PACKAGES, ...TOOL_PACKAGES].filter((name) => {
    const result = spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' });
    return result.status !== 0 || !result.stdout.includes('ok installed');
  });
}

/**
 * Installs missing fleet packages as root; a temporary policy-rc.d keeps their scripts from
 * starting the system-wide rabbitmq-server and mcollective (the fleet runs private instances).
 */
function ensurePackages() {
  let missing = missingPackages();
  if (missing.length === 0) return [];
  if (process.getuid?.() !== 0) {
    console.error(`[packages] missing ${missing.join(' ')} and not root: sudo apt-get install --no-install-recommends ${missing.join(' ')}`);
    return missing;
  }
  console.log(`[packages] installing ${missing.join(' ')} (the MCollective test fleet, the Puppet suite, the browser and CLI tests)`);
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !fs.existsSync(policy);
  if (ownPolicy) fs.writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    // The services' packages without recommends (they would pull in more daemons); the tools with
    // them, as a desktop install has them (chromium's fonts, for the browser tests' screenshots).
    const services = missing.filter((name) => !TOOL_PACKAGES.includes(name));
    const tools = missing.filter((name) => TOOL_PACKAGES.includes(name));
    if (services.length > 0) spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...services], { stdio: 'inherit', env });
    if (tools.length > 0) spawnSync('apt-get', ['install', '-y', '-qq', ...tools], { stdio: 'inherit', env });
  } finally {
    if (ownPolicy) fs.rmSync(policy, { force: true });
  }
  missing = missingPackages();
  return missing;
}

function runJest(project, extra) {
  fs.mkdirSync(path.join(root, 'var'), { recursive: true });
  const out = path.join(root, 'var', `jest-${project}.json`);
  fs.rmSync(out, { force: true });
  const result = spawnSync(process.execPath, [path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--selectProjects', project, '--json', `--outputFile=${out}`, ...extra], { cwd: root, stdio: 'inherit', env: process.env });
  const report = fs.existsSync(out) ? JSON.parse(fs.readFileSync(out, 'utf8')) : null;
  return {
    status: result.status ?? 1,
    passed: report?.numPassedTests ?? 0,
    failed: (report?.numFailedTests ?? 0) + (report?.numRuntimeErrorTestSuites ?? 0),
    skipped: (report?.numPendingTests ?? 0) + (report?.numTodoTests ?? 0),
  };
}

const down = [];
for (const service of SERVICES) {
  if (!(await ensureService(service))) down.push(service);
}
if (down.length > 0) {
  const names = down.map((s) => `${s.name} (127.0.0.1:${s.port})`).join(', ');
  if (ci) {
    console.error(`[services] CI=true and unreachable: ${names}. Failing the run instead of skipping tests.`);
    process.exit(1);
  }
  console.error(`\n!!! [services] unreachable: ${names}. The integration tests that need them WILL FAIL; start them (see README). !!!\n`);
}
const missing = ensurePackages();
if (missing.length > 0) {
  if (ci) {
    console.error(`[packages] CI=true and missing: ${missing.join(' ')}. Failing the run instead of skipping the tests that need them.`);
    process.exit(1);
  }
  console.error(`\n!!! [packages] missing: ${missing.join(' ')}. The tests that need them (MCollective, Puppet, browser, CLI) WILL FAIL (see README). !!!\n`);
}

// The browser suites drive Debian's chromium; without it they fail (never skip), loudly.
const CHROMIUM = process.env.REX_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) {
  if (ci) {
    console.error(`[browser] CI=true and chromium is missing (${CHROMIUM}); .ci/run installs it. Failing the run instead of skipping tests.`);
    process.exit(1);
  }
  console.error(`\n!!! [browser] chromium is missing (${CHROMIUM}): the browser tests WILL FAIL; apt-get install -y chromium !!!\n`);
}

// The CLI tests run `rex` inside a private tmux server and source its zsh and fish completion scripts.
const TOOLS = ['tmux', 'zsh', 'fish'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (TOOLS.length > 0) {
  if (ci) {
    console.error(`[cli] CI=true and missing: ${TOOLS.join(' ')}; .ci/run installs them. Failing the run instead of skipping tests.`);
    process.exit(1);
  }
  console.error(`\n!!! [cli] missing ${TOOLS.join(' ')}: the CLI tests WILL FAIL; apt-get install -y ${TOOLS.join(' ')} !!!\n`);
}

// The import boundaries of STYLE.md are lint errors, so lint is part of the test command.
const lint = spawnSync(process.execPath, [path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js'), '.'], { cwd: root, stdio: 'inherit' });
if (lint.status !== 0) console.error('[lint] eslint reported errors');
const unit = runJest('unit', []);
// --forceExit: a lingering socket in one suite must not hang CI after every test has reported.
const integration = runJest('integration', ['--runInBand', '--forceExit', '--verbose']);
// The fault and abuse suite (test/faults) kills and stops real processes, so it runs on its own.
const faults = runJest('faults', ['--runInBand', '--forceExit', '--verbose']);
// The browser project builds the web UI first (its globalSetup), then runs test/e2e.
const browser = runJest('browser', ['--runInBand', '--forceExit', '--verbose']);
const suites = [unit, integration, faults, browser];
const passed = suites.reduce((sum, s) => sum + s.passed, 0);
const failed = suites.reduce((sum, s) => sum + s.failed, 0);
const skipped = suites.reduce((sum, s) => sum + s.skipped, 0);
console.log(`\nlint: ${lint.status === 0 ? 'clean' : 'errors'}`);
console.log(`unit: ${unit.passed} passed, ${unit.failed} failed; integration (SQLite and MariaDB, NATS, MCollective, Puppet Server and PuppetDB): ${integration.passed} passed, ${integration.failed} failed; faults: ${faults.passed} passed, ${faults.failed} failed; browser (chromium): ${browser.passed} passed, ${browser.failed} failed`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(lint.status !== 0 || suites.some((s) => s.status !== 0) || failed > 0 ? 1 : 0);
