import fs from 'node:fs';
import { AppError } from '@server/errors';
import { INVENTORY_LIMITS, readInventoryText, validateInventory } from '@server/inventory/inventory-file';
import { demoInventoryFile } from '@server/inventory/inventory.service';

const NOTHING_KNOWN = { hostgroups: [], smartProxies: [], organizations: [], locations: [] };

function messageOf(raw: unknown, known = NOTHING_KNOWN): string {
  try {
    validateInventory(raw, known);
  } catch (error) {
    if (error instanceof AppError) return error.message;
    throw error;
  }
  throw new Error('no error');
}

describe(validateInventory.name, () => {
  it('names the host index and the unknown hostgroup when a reference is dangling', () => {
    expect(messageOf({ hostgroups: ['base'], hosts: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd', hostgroup: 'x' }] }))
      .toBe('invalid inventory: hosts[3].hostgroup: unknown hostgroup "x"');
  });

  it('accepts references to names already stored', () => {
    const doc = validateInventory({ hosts: [{ name: 'a', hostgroup: 'BASE/web', smart_proxy: 'p', organization: 'o', location: 'l' }] }, { hostgroups: ['base/web'], smartProxies: ['p'], organizations: ['o'], locations: ['l'] });
    expect(doc.hosts[0].hostgroup).toBe('BASE/web');
  });

  it('reports every problem at once when several fields are bad', () => {
    expect(messageOf({ smart_proxies: [{ name: 'p', url: 'http://x' }], hosts: [{ name: 'a b' }, { name: 'c', color: 'red' }] }))
      .toBe("invalid inventory: smart_proxies[0].url: must be host:port, e.g. 127.0.0.1:50051; hosts[0].name: must be a host name (letters, digits, dots, dashes); hosts[1]: Unrecognized key(s) in object: 'color'");
  });

  it('rejects a hostgroup whose parent is not listed', () => {
    expect(messageOf({ hostgroups: ['base/web'] })).toBe('invalid inventory: hostgroups[0]: parent hostgroup "base" is not listed');
  });

  it('rejects duplicate names case-insensitively', () => {
    expect(messageOf({ organizations: ['Acme', 'ACME'] })).toBe('invalid inventory: organizations[1]: duplicate "ACME"');
  });

  it('turns numeric and boolean fact values into strings', () => {
    expect(validateInventory({ hosts: [{ name: 'a', facts: { cpus: 4, virtual: true } }] }, NOTHING_KNOWN).hosts[0].facts).toEqual({ cpus: '4', virtual: 'true' });
  });

  it('accepts the demo inventory with two demo proxies and the base tree', () => {
    const doc = validateInventory(readInventoryText(fs.readFileSync(demoInventoryFile(), 'utf8')), NOTHING_KNOWN);
    expect(doc.smart_proxies.map((p) => p.name)).toEqual(['puppet-a.demo', 'puppet-b.demo']);
    expect(doc.hostgroups).toEqual(expect.arrayContaining(['base', 'base/web', 'base/db', 'base/app']));
    expect(doc.organizations).toHaveLength(2);
  });
});

describe(readInventoryText.name, () => {
  it('reads JSON as well as YAML', () => {
    expect(readInventoryText('{"organizations": ["Acme"]}')).toEqual({ organizations: ['Acme'] });
    expect(readInventoryText('organizations:\n  - Acme\n')).toEqual({ organizations: ['Acme'] });
  });

  it('fails INVALID_ARGUMENT when the text is neither', () => {
    expect(() => readInventoryText('a: [1, 2')).toThrow(/invalid inventory: cannot be read as YAML or JSON/);
  });

  it('refuses a file of more nodes than a real 16 MB inventory has before building any of them', () => {
    // 4 MB of one-character items: 16 MB of them took the ui-extension past 4 GB and killed it.
    const text = `hosts: [${'1,'.repeat(2_000_000)}1]\n`;
    const started = Date.now();
    expect(() => readInventoryText(text)).toThrow(new AppError('INVALID_ARGUMENT', `invalid inventory: holds more than ${INVENTORY_LIMITS.nodes} keys, values and items`));
    // Counting tokens costs a pass of the lexer; building them took seconds and gigabytes.
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('reads a mapping of 60,000 keys in time linear in its size', () => {
    // The yaml library's own duplicate-key check compares every key with every other (40,000 keys
    // blocked the event loop for 16 s, 60,000 for half a minute).
    const text = `facts:\n${Array.from({ length: 60_000 }, (_, i) => `  k${i}: v`).join('\n')}\n`;
    const started = Date.now();
    expect(Object.keys((readInventoryText(text) as { facts: object }).facts)).toHaveLength(60_000);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('still refuses a key given twice in one mapping, naming its line', () => {
    expect(() => readInventoryText('hosts:\n  - name: a\n    name: b\n')).toThrow(/^invalid inventory: cannot be read as YAML or JSON: Map keys must be unique at line 3, column 5 \('name'\)$/);
    expect(readInventoryText('a: {x: 1}\nb: {x: 2}\n')).toEqual({ a: { x: 1 }, b: { x: 2 } });
  });
});
