/**
 * Deterministic, realistic node profiles (facts, classes, packages, services) so that searching and
 * filtering by facts means something in tests, benchmarks and the demo.
 */
import { seededFraction, type VirtualNodeOptions } from './virtual-node';

interface OsProfile {
  family: string;
  name: string;
  major: string;
  full: string;
  kernelrelease: string;
  packageProvider: string;
}

const OSES: OsProfile[] = [
  { family: 'Debian', name: 'Debian', major: '12', full: '12.7', kernelrelease: '6.1.0-26-amd64', packageProvider: 'apt' },
  { family: 'Debian', name: 'Ubuntu', major: '24.04', full: '24.04', kernelrelease: '6.8.0-45-generic', packageProvider: 'apt' },
  { family: 'RedHat', name: 'RedHat', major: '9', full: '9.4', kernelrelease: '5.14.0-427.el9.x86_64', packageProvider: 'yum' },
  { family: 'RedHat', name: 'Rocky', major: '8', full: '8.10', kernelrelease: '4.18.0-553.el8.x86_64', packageProvider: 'yum' },
];

interface RoleProfile {
  role: string;
  classes: string[];
  packages: Record<string, string>;
  services: Record<string, boolean>;
}

const ROLES: RoleProfile[] = [
  { role: 'web', classes: ['roles::web', 'profile::nginx'], packages: { nginx: '1.22.1-9' }, services: { nginx: true } },
  { role: 'db', classes: ['roles::db', 'profile::postgresql'], packages: { 'postgresql-15': '15.8-0' }, services: { postgresql: true } },
  { role: 'app', classes: ['roles::app', 'profile::java'], packages: { 'openjdk-17-jre': '17.0.12-1' }, services: { tomcat: true } },
  { role: 'cache', classes: ['roles::cache', 'profile::redis'], packages: { 'redis-server': '7.0.15-1' }, services: { 'redis-server': true } },
];

const ENVIRONMENTS = ['production', 'production', 'staging', 'development'];
const DATACENTERS = ['ams1', 'fra2', 'iad1'];

export interface NodeProfilesOptions {
  count: number;
  /** Identities are `<identityPrefix><5-digit index>[.<domain>]`. */
  identityPrefix: string;
  domain?: string;
  seed?: string | number;
  /** Extra facts every node gets, e.g. `{ rex_demo: true }`. */
  extraFacts?: Record<string, unknown>;
  startIndex?: number;
}

export function nodeIdentity(prefix: string, index: number, domain?: string): string {
  return `${prefix}${String(index).padStart(5, '0')}${domain ? `.${domain}` : ''}`;
}

export function buildNodeProfiles(options: NodeProfilesOptions): VirtualNodeOptions[] {
  const seed = options.seed ?? 0;
  const start = options.startIndex ?? 1;
  const profiles: VirtualNodeOptions[] = [];
  for (let i = start; i < start + options.count; i++) {
    const identity = nodeIdentity(options.identityPrefix, i, options.domain);
    const pick = <T>(list: T[], key: string): T => list[Math.floor(seededFraction(seed, `${identity}:${key}`) * list.length)];
    const os = pick(OSES, 'os');
    const role = pick(ROLES, 'role');
    const environment = pick(ENVIRONMENTS, 'env');
    const datacenter = pick(DATACENTERS, 'dc');
    const hostname = identity.split('.')[0];
    const cpus = 2 ** (1 + Math.floor(seededFraction(seed, `${identity}:cpu`) * 4));
    profiles.push({
      identity,
      facts: {
        fqdn: identity,
        hostname,
        domain: options.domain ?? '',
        kernel: 'Linux',
        kernelrelease: os.kernelrelease,
        osfamily: os.family,
        operatingsystem: os.name,
        operatingsystemmajrelease: os.major,
        os: { family: os.family, name: os.name, release: { major: os.major, full: os.full }, architecture: 'amd64' },
        processorcount: cpus,
        memorysize_mb: cpus * 2048,
        ipaddress: `10.${DATACENTERS.indexOf(datacenter) + 1}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`,
        role: role.role,
        environment,
        datacenter,
        hostgroup: `${datacenter}/${role.role}`,
        // The ui-extension's proxy sync files a new host under the hostgroup this fact names
        // (the demo inventory has base/web, base/db, base/app, base/cache).
        rex_hostgroup: `base/${role.role}`,
        ...options.extraFacts,
      },
      classes: ['profile::base', 'profile::puppet_agent', ...role.classes],
      packages: { bash: '5.2.15-2', openssl: '3.0.14-1', 'puppet-agent': '8.10.0-1', ...role.packages },
      services: { sshd: true, cron: true, puppet: true, ...role.services },
      seed,
    });
  }
  return profiles;
}
