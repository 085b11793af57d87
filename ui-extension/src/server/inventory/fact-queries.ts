import type { HostScope } from '../auth/abilities';
import { hostColumns, hostScopeSql } from '../auth/scope-sql';
import { compileSearch, type SearchDefinition } from '../search/compiler';
import { dialectOf, type Db } from './sql';

/** `GET /api/v2/hosts/:id/facts?search=`, over one host's `facts`; a bare word is a name substring (or `os*`). */
export const HOST_FACT_SEARCH: SearchDefinition = {
  idColumn: 'host_id',
  fields: {
    name: { kind: 'column', column: 'name', type: 'string' },
    value: { kind: 'column', column: 'value', type: 'string' },
  },
  freeText: ['name'],
};

/** `GET /api/v2/fact_names?search=`, over the distinct fact names; a bare word is a substring (or `os*`). */
export const FACT_NAME_SEARCH: SearchDefinition = {
  idColumn: 'name',
  fields: { name: { kind: 'column', column: 'name', type: 'string' } },
  freeText: ['name'],
};

export interface HostFact {
  name: string;
  value: string;
  source: string | null;
}

/** What the inventory answers about facts, across hosts or of one host (`mco facts`, auto-completion). */
export interface FactQueries {
  /** A host's facts by name, each with the source that wrote it (null for rows older than sources). */
  facts(hostId: number, params: { search: string; page: number; perPage: number }): Promise<{ total: number; subtotal: number; results: HostFact[] }>;
  /** Fact names (with `scope`, only those a host inside it has). */
  factNames(params: { search: string; page: number; perPage: number }, scope?: HostScope): Promise<{ total: number; subtotal: number; results: Array<{ name: string }> }>;
  /** Whether some host (inside `scope` when given) has a fact of this name. */
  hasFactName(name: string, scope?: HostScope): Promise<boolean>;
  /** Distinct values of a fact starting with `prefix`, for auto-completion. */
  factValues(name: string, prefix: string, limit: number, scope?: HostScope): Promise<string[]>;
  /**
   * A fact's values with the number of hosts (inside `scope`) having each, most frequent first
   * (`mco facts`): `total` values, `hosts` having the fact at all.
   */
  factValueCounts(name: string, params: { page: number; perPage: number }, scope?: HostScope): Promise<{ total: number; hosts: number; results: Array<{ value: string; count: number }> }>;
}

type Raw = Record<string, unknown>;

/** The fact queries of the host repository (host.repository.ts), over `facts` and, in a scope, `hosts h`. */
export function createFactQueries(db: Db): FactQueries {
  const dialect = dialectOf(db);
  const count = async (sql: string, params: unknown[] = []): Promise<number> => Number(((await db.query(sql, params)) as Raw[])[0].n);
  /** The caller's host scope as a condition on `hosts h`; everything when no scope is given. */
  const scoped = (scope: HostScope | undefined, alias = 'h') => hostScopeSql(scope ?? { all: true }, hostColumns(alias));

  return {
    async facts(hostId, { search, page, perPage }) {
      const compiled = compileSearch(search, HOST_FACT_SEARCH, { dialect, now: new Date() });
      const filter = search.trim() === '' ? '' : ` AND ${compiled.sql}`;
      const params = search.trim() === '' ? [hostId] : [hostId, ...compiled.params];
      const [total, subtotal] = await Promise.all([
        count('SELECT COUNT(*) AS n FROM facts WHERE host_id = ?', [hostId]),
        count(`SELECT COUNT(*) AS n FROM facts WHERE host_id = ?${filter}`, params),
      ]);
      const rows = (await db.query(`SELECT name, value, source FROM facts WHERE host_id = ?${filter} ORDER BY name LIMIT ? OFFSET ?`, [...params, perPage, (page - 1) * perPage])) as Raw[];
      return { total, subtotal, results: rows.map((r) => ({ name: String(r.name), value: String(r.value), source: r.source === null || r.source === undefined ? null : String(r.source) })) };
    },

    async factNames({ search, page, perPage }, scope) {
      // DISTINCT over the leading column of idx_facts_name_value is a loose index scan on MariaDB.
      // In a scope, the facts of the hosts inside it are read through the (host_id, name) key, as
      // factValues does.
      const visible = scoped(scope);
      const only = scope && !scope.all ? { sql: `host_id IN (SELECT h.id FROM hosts h WHERE ${visible.sql})`, params: visible.params } : { sql: '', params: [] };
      const named = search.trim() === '' ? { sql: '', params: [] as unknown[] } : compileSearch(search, FACT_NAME_SEARCH, { dialect, now: new Date() });
      const where = (...parts: Array<{ sql: string; params: unknown[] }>) => {
        const used = parts.filter((p) => p.sql !== '');
        return { sql: used.length === 0 ? '' : ` WHERE ${used.map((p) => p.sql).join(' AND ')}`, params: used.flatMap((p) => p.params) };
      };
      const all = where(only);
      const matching = where(named, only);
      const [total, subtotal] = await Promise.all([
        count(`SELECT COUNT(*) AS n FROM (SELECT DISTINCT name FROM facts${all.sql}) x`, all.params),
        count(`SELECT COUNT(*) AS n FROM (SELECT DISTINCT name FROM facts${matching.sql}) x`, matching.params),
      ]);
      const rows = (await db.query(`SELECT DISTINCT name FROM facts${matching.sql} ORDER BY name LIMIT ? OFFSET ?`, [...matching.params, perPage, (page - 1) * perPage])) as Raw[];
      return { total, subtotal, results: rows.map((r) => ({ name: String(r.name) })) };
    },

    async hasFactName(name, scope) {
      const visible = scoped(scope);
      const only = scope && !scope.all ? ` AND host_id IN (SELECT h.id FROM hosts h WHERE ${visible.sql})` : '';
      const rows = (await db.query(`SELECT 1 AS found FROM facts WHERE name = ?${only} LIMIT 1`, [name, ...(only ? visible.params : [])])) as Raw[];
      return rows.length > 0;
    },

    async factValues(name, prefix, limit, scope) {
      const visible = scoped(scope);
      const only = scope && !scope.all ? ` AND host_id IN (SELECT h.id FROM hosts h WHERE ${visible.sql})` : '';
      const rows = (await db.query(`SELECT DISTINCT value FROM facts WHERE name = ? AND value LIKE ? ESCAPE '!'${only} ORDER BY value LIMIT ?`, [name, `${prefix.replace(/[!%_]/g, (c) => `!${c}`)}%`, ...(only ? visible.params : []), limit])) as Raw[];
      return rows.map((r) => String(r.value));
    },

    async factValueCounts(name, { page, perPage }, scope) {
      const visible = scoped(scope);
      const only = scope && !scope.all ? ` AND host_id IN (SELECT h.id FROM hosts h WHERE ${visible.sql})` : '';
      const params = [name, ...(only ? visible.params : [])];
      const [total, hosts] = await Promise.all([
        count(`SELECT COUNT(DISTINCT value) AS n FROM facts WHERE name = ?${only}`, params),
        count(`SELECT COUNT(*) AS n FROM facts WHERE name = ?${only}`, params),
      ]);
      const rows = (await db.query(`SELECT value, COUNT(*) AS n FROM facts WHERE name = ?${only} GROUP BY value ORDER BY COUNT(*) DESC, value LIMIT ? OFFSET ?`, [...params, perPage, (page - 1) * perPage])) as Raw[];
      return { total, hosts, results: rows.map((r) => ({ value: String(r.value), count: Number(r.n) })) };
    },
  };
}
