import { AppError } from '../errors';
import { parseSearch, type SearchNode, type SearchOperator } from './parser';

/**
 * Compiles a search AST into a parameterized SQL condition for MySQL/MariaDB and SQLite, driven
 * by a table of field definitions, so any listing (hosts, job history) can reuse it. Identifiers
 * come only from the definition (code); every user value becomes a `?` parameter.
 *
 * Every leaf compiles to a two-valued condition (never SQL NULL), so `not` means exactly "the
 * rows the operand does not match", including rows whose column is NULL, as Foreman users expect
 * from `not hostgroup = web`.
 */

export type ValueType = 'string' | 'number' | 'datetime';

export type FieldDefinition =
  /**
   * A column of the searched table. `values` lists the only values it holds (a state, say): `=`,
   * `!=`, `^` and `!^` with any other value answer 400 naming them, instead of matching nothing.
   */
  | { kind: 'column'; column: string; type: ValueType; nullable?: boolean; values?: readonly string[] }
  /**
   * A foreign key whose target row is matched on one of its columns (`hostgroup = web`); with
   * several, on any of them (a hostgroup's name or its title).
   */
  | { kind: 'lookup'; column: string; table: string; idColumn: string; match: string | readonly string[]; type?: ValueType }
  /**
   * A foreign key into a tree with full-path titles (`base/web`): matches the named node and all
   * its descendants (`parent_hostgroup = base`).
   */
  | { kind: 'subtree'; column: string; table: string; idColumn: string; pathColumn: string; separator: string }
  /**
   * A condition the definition writes itself, for what one column cannot say: a semi-join over
   * related rows, several columns at once. `compile` gets a positive operator (negations wrap it in
   * NOT) and must put every user value into params; `match` compares an expression the usual way.
   * Without `presence`, `set?`/`null?` on the field answer 400.
   */
  | {
      kind: 'custom';
      type: ValueType;
      operators: readonly SearchOperator[];
      values?: readonly string[];
      compile(context: CustomContext): Sql;
      /** A two-valued condition true when the field has a value (for `set?` and `null?`). */
      presence?: Sql;
    };

/** What a custom field's `compile` gets. */
export interface CustomContext {
  operator: '=' | '~' | '^' | '>' | '<' | '>=' | '<=';
  values: string[];
  dialect: SqlDialect;
  now: Date;
  position: number;
  /** `expr <operator> <values>` as any column of the field's type compiles; `nullable` keeps it two-valued. */
  match(expr: string, options?: { nullable?: boolean; type?: ValueType }): Sql;
}

/** Name/value rows owned by the searched row (`facts.osfamily = RedHat`). */
export interface KeyValueDefinition {
  table: string;
  ownerColumn: string;
  nameColumn: string;
  valueColumn: string;
  /**
   * Index on (name, value, owner) that MySQL must use for the subquery. Left to itself, MariaDB
   * probes the clustered (owner, name) key once per candidate row, which scatters reads over the
   * whole table (2.5 s at 3M facts); the named index keeps a condition's rows contiguous.
   */
  mysqlIndex?: string;
  /**
   * The only names stored (matched case-insensitively); another answers 400 with `namesHint`,
   * since rows for it cannot exist and an empty answer would look like a real one.
   */
  names?: readonly string[];
  namesHint?: string;
}

export interface SearchDefinition {
  /** SQL expression of the searched row's id, e.g. `h.id`. */
  idColumn: string;
  fields: Record<string, FieldDefinition>;
  /** Other names of fields, Foreman's or older ones (`user` for `owner`); not listed as valid keys. */
  aliases?: Record<string, string>;
  /** Prefixes of dynamic keys: `facts` makes `facts.<name>` a key. */
  keyValues?: Record<string, KeyValueDefinition>;
  /** Fields a bare word searches with `~`, as Foreman's free text. */
  freeText: string[];
}

export type SqlDialect = 'mysql' | 'sqlite';

export interface CompileOptions {
  dialect: SqlDialect;
  /** "Now" for relative dates such as `last_seen < "2 hours ago"`. */
  now: Date;
}

export interface CompiledSearch {
  /** A boolean SQL expression; `1=1` for an empty search. */
  sql: string;
  params: unknown[];
}

const STRING_OPERATORS: SearchOperator[] = ['=', '!=', '~', '!~', '^', '!^', '>', '<', '>=', '<='];
const ORDERED_OPERATORS: SearchOperator[] = ['=', '!=', '^', '!^', '>', '<', '>=', '<='];
const LOOKUP_OPERATORS: SearchOperator[] = ['=', '!=', '~', '!~', '^', '!^'];
const SUBTREE_OPERATORS: SearchOperator[] = ['=', '!=', '^', '!^'];
/** For fields with a fixed set of values: a state is equal to one or not. */
const ENUM_OPERATORS: SearchOperator[] = ['=', '!=', '^', '!^'];

/** The operator sets the built-in field kinds use, for custom fields that behave like one of them. */
export const SEARCH_OPERATORS = { string: STRING_OPERATORS, ordered: ORDERED_OPERATORS, lookup: LOOKUP_OPERATORS, subtree: SUBTREE_OPERATORS, enum: ENUM_OPERATORS } as const;
const NEGATIONS: Partial<Record<SearchOperator, SearchOperator>> = { '!=': '=', '!~': '~', '!^': '^' };

function invalid(message: string, rule: string, position?: number): AppError {
  return new AppError('INVALID_ARGUMENT', `search: ${message}`, { details: { fields: [{ field: 'search', rule }], ...(position ? { position } : {}) } });
}

/** The keys a definition accepts, as shown to the user (`facts.<name>` for dynamic keys). */
export function validKeys(definition: SearchDefinition): string[] {
  return [...Object.keys(definition.fields), ...Object.keys(definition.keyValues ?? {}).map((p) => `${p}.<name>`)];
}

/**
 * Foreman's `~`: a value with `*` is a pattern (`web*`), otherwise a substring. `%`, `_` and the
 * escape character itself are escaped with `!` (a backslash would need different quoting on MySQL).
 */
export function likePattern(value: string): string {
  const escaped = value.replace(/[!%_]/g, (c) => `!${c}`);
  return value.includes('*') ? escaped.replace(/\*/g, '%') : `%${escaped}%`;
}

/** Escapes a literal for use as a LIKE prefix (`base/%`). */
export function likeLiteral(value: string): string {
  return value.replace(/[!%_]/g, (c) => `!${c}`);
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** The UTC text form both databases compare correctly with a DATETIME(3) column. */
export function sqlDateTime(date: Date): string {
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}.${pad(date.getUTCMilliseconds(), 3)}`;
}

const UNIT_MS: Record<string, number> = { second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000 };

/**
 * Dates as Foreman accepts them: ISO dates and times (UTC unless a zone is given), `today`,
 * `yesterday`, `now`, and `N minutes|hours|days|weeks ago`. A date without a time covers its day.
 */
export function parseDateValue(value: string, now: Date): { start: Date; end: Date } | null {
  const text = value.trim().toLowerCase();
  const startOfDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  if (text === 'now') return { start: now, end: now };
  if (text === 'today' || text === 'yesterday') {
    const start = new Date(startOfDay(now).getTime() - (text === 'yesterday' ? UNIT_MS.day : 0));
    return { start, end: new Date(start.getTime() + UNIT_MS.day) };
  }
  const relative = /^(\d+)\s*(second|minute|hour|day|week)s?\s+ago$/.exec(text);
  if (relative) {
    const at = new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2]]);
    return { start: at, end: at };
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const start = new Date(`${text}T00:00:00Z`);
    return Number.isNaN(start.getTime()) ? null : { start, end: new Date(start.getTime() + UNIT_MS.day) };
  }
  if (/^\d{4}-\d{2}-\d{2}[ t]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(z|[+-]\d{2}:?\d{2})?$/.test(text)) {
    const iso = text.replace(' ', 't').toUpperCase();
    const at = new Date(/Z|[+-]\d{2}:?\d{2}$/.test(iso) ? iso : `${iso}Z`);
    return Number.isNaN(at.getTime()) ? null : { start: at, end: at };
  }
  return null;
}

export interface Sql {
  sql: string;
  params: unknown[];
}

function join(parts: Sql[], glue: string): Sql {
  return { sql: parts.map((p) => p.sql).join(glue), params: parts.flatMap((p) => p.params) };
}

/** Compares a SQL expression with user values; `type` decides how values are converted. */
function comparison(expr: string, operator: SearchOperator, values: string[], type: ValueType, options: CompileOptions, position: number): Sql {
  if (type === 'datetime') {
    const ranges = values.map((v) => {
      const range = parseDateValue(v, options.now);
      if (!range) throw invalid(`'${v}' is not a date at position ${position}; use e.g. 2025-01-31, "2025-01-31 10:00" or "2 hours ago"`, 'a date', position);
      return range;
    });
    const at = (d: Date) => sqlDateTime(d);
    const one = (r: { start: Date; end: Date }): Sql =>
      r.start.getTime() === r.end.getTime()
        ? { sql: `${expr} = ?`, params: [at(r.start)] }
        : { sql: `(${expr} >= ? AND ${expr} < ?)`, params: [at(r.start), at(r.end)] };
    switch (operator) {
      case '=': return one(ranges[0]);
      case '^': {
        const any = join(ranges.map(one), ' OR ');
        return { sql: `(${any.sql})`, params: any.params };
      }
      // A day-long value: `> 2025-01-31` means after that day, `<` before it starts.
      case '>': return { sql: `${expr} >= ?`, params: [at(ranges[0].end.getTime() === ranges[0].start.getTime() ? new Date(ranges[0].start.getTime() + 1) : ranges[0].end)] };
      case '>=': return { sql: `${expr} >= ?`, params: [at(ranges[0].start)] };
      case '<': return { sql: `${expr} < ?`, params: [at(ranges[0].start)] };
      case '<=': return { sql: `${expr} < ?`, params: [at(ranges[0].end.getTime() === ranges[0].start.getTime() ? new Date(ranges[0].start.getTime() + 1) : ranges[0].end)] };
      default: break;
    }
  }
  const convert = (v: string): unknown => {
    if (type !== 'number') return v;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw invalid(`'${v}' is not a number at position ${position}`, 'a number', position);
    return n;
  };
  switch (operator) {
    case '=': case '>': case '<': case '>=': case '<=':
      return { sql: `${expr} ${operator} ?`, params: [convert(values[0])] };
    case '~':
      return { sql: `${expr} LIKE ? ESCAPE '!'`, params: [likePattern(values[0])] };
    case '^':
      return { sql: `${expr} IN (${values.map(() => '?').join(', ')})`, params: values.map(convert) };
    default:
      throw new Error(`operator ${operator} reached comparison un-negated`);
  }
}

/**
 * Compares fact values: numerically when the user's value is a number and the operator orders.
 * Both databases read a non-numeric stored value as 0 in that cast, so they agree on such hosts.
 */
function valueComparison(expr: string, operator: SearchOperator, values: string[], options: CompileOptions, position: number): Sql {
  const ordered = ['>', '<', '>=', '<='].includes(operator);
  if (ordered && values[0].trim() !== '' && Number.isFinite(Number(values[0]))) {
    const cast = options.dialect === 'mysql' ? `CAST(${expr} AS DECIMAL(30,10))` : `CAST(${expr} AS REAL)`;
    return comparison(cast, operator, values, 'number', options, position);
  }
  return comparison(expr, operator, values, 'string', options, position);
}

function allowed(key: string, operator: string, operators: readonly SearchOperator[], position: number): void {
  if (!operators.includes(operator as SearchOperator)) {
    throw invalid(`operator '${operator}' cannot be used with ${key} at position ${position}; use one of ${operators.join(' ')}`, `operator for ${key}`, position);
  }
}

/** Compiles a search (text or AST) for a definition. Throws INVALID_ARGUMENT for bad input. */
export function compileSearch(search: string | SearchNode | null, definition: SearchDefinition, options: CompileOptions): CompiledSearch {
  const ast = typeof search === 'string' ? parseSearch(search) : search;
  if (!ast) return { sql: '1=1', params: [] };
  return compileNode(ast, definition, options);
}

function resolveKey(key: string, definition: SearchDefinition, position: number): { field: FieldDefinition; name: string } | { keyValue: KeyValueDefinition; name: string } {
  const lower = key.toLowerCase();
  const canonical = definition.aliases?.[lower] ?? lower;
  const field = definition.fields[canonical];
  if (field) return { field, name: canonical };
  const dot = key.indexOf('.');
  if (dot > 0) {
    const prefix = key.slice(0, dot).toLowerCase();
    const keyValue = definition.keyValues?.[prefix];
    const name = key.slice(dot + 1);
    if (keyValue && name !== '') {
      if (keyValue.names && !keyValue.names.some((n) => n.toLowerCase() === name.toLowerCase())) {
        const hint = keyValue.namesHint ? `; ${keyValue.namesHint}` : '';
        const recorded = keyValue.names.map((n) => `${prefix}.${n}`).join(', ');
        throw invalid(`'${prefix}.${name}' at position ${position} cannot be searched here: ${recorded ? `only ${recorded} are recorded` : `no ${prefix} are recorded`}${hint}`, recorded ? `one of ${recorded}` : `no ${prefix}`, position);
      }
      return { keyValue, name };
    }
  }
  throw invalid(`unknown field '${key}' at position ${position}; valid fields are ${validKeys(definition).join(', ')}`, `one of ${validKeys(definition).join(', ')}`, position);
}

/** Refuses a value an enumerated field never holds, naming the ones it does. */
function checkValues(name: string, allowedValues: readonly string[] | undefined, operator: SearchOperator, values: string[], position: number): void {
  if (!allowedValues || !['=', '!=', '^', '!^'].includes(operator)) return;
  const unknown = values.filter((v) => !allowedValues.some((a) => a.toLowerCase() === v.toLowerCase()));
  if (unknown.length > 0) {
    throw invalid(`'${unknown[0]}' is not a value of ${name} at position ${position}; use one of ${allowedValues.join(', ')}`, `one of ${allowedValues.join(', ')}`, position);
  }
}

function compileNode(node: SearchNode, definition: SearchDefinition, options: CompileOptions): CompiledSearch {
  switch (node.type) {
    case 'and':
    case 'or': {
      const left = compileNode(node.left, definition, options);
      const right = compileNode(node.right, definition, options);
      return { sql: `(${left.sql} ${node.type === 'and' ? 'AND' : 'OR'} ${right.sql})`, params: [...left.params, ...right.params] };
    }
    case 'not': {
      const operand = compileNode(node.operand, definition, options);
      return { sql: `NOT (${operand.sql})`, params: operand.params };
    }
    case 'text': {
      const parts = definition.freeText.map((name) => compileLeaf(name, '~', [node.value], definition, options, node.position));
      const any = join(parts, ' OR ');
      return parts.length === 1 ? parts[0] : { sql: `(${any.sql})`, params: any.params };
    }
    case 'presence':
      return compileLeaf(node.key, node.operator, [], definition, options, node.position);
    case 'condition':
      return compileLeaf(node.key, node.operator, [node.value], definition, options, node.position);
    case 'list':
      return compileLeaf(node.key, node.operator, node.values, definition, options, node.position);
  }
}

function compileLeaf(key: string, operator: SearchOperator | 'set?' | 'null?', values: string[], definition: SearchDefinition, options: CompileOptions, position: number): Sql {
  const resolved = resolveKey(key, definition, position);
  if ('field' in resolved && operator !== 'set?' && operator !== 'null?') {
    allowed(resolved.name, operator, fieldOperators(resolved.field), position);
    checkValues(resolved.name, resolved.field.kind === 'column' || resolved.field.kind === 'custom' ? resolved.field.values : undefined, operator, values, position);
  }
  const negated = operator !== 'set?' && operator !== 'null?' ? NEGATIONS[operator] : undefined;
  if (negated) {
    const positive = compileLeaf(key, negated, values, definition, options, position);
    return { sql: `NOT (${positive.sql})`, params: positive.params };
  }

  if ('keyValue' in resolved) {
    const kv = resolved.keyValue;
    const hint = options.dialect === 'mysql' && kv.mysqlIndex ? ` FORCE INDEX (${kv.mysqlIndex})` : '';
    const owner = `${definition.idColumn} IN (SELECT kv.${kv.ownerColumn} FROM ${kv.table} kv${hint} WHERE kv.${kv.nameColumn} = ?`;
    if (operator === 'set?' || operator === 'null?') {
      const inner = `${owner})`;
      return { sql: operator === 'null?' ? `NOT (${inner})` : inner, params: [resolved.name] };
    }
    const cmp = valueComparison(`kv.${kv.valueColumn}`, operator, values, options, position);
    return { sql: `${owner} AND ${cmp.sql})`, params: [resolved.name, ...cmp.params] };
  }

  const { field, name } = resolved;
  if (operator === 'set?' || operator === 'null?') {
    if (field.kind === 'custom') {
      if (!field.presence) throw invalid(`'${operator}' cannot be used with ${name} at position ${position}; compare it with an operator instead`, `no ${operator} for ${name}`, position);
      return operator === 'set?' ? field.presence : { sql: `NOT (${field.presence.sql})`, params: field.presence.params };
    }
    const nullable = field.kind !== 'column' || field.nullable === true;
    if (!nullable) return { sql: operator === 'set?' ? '1=1' : '1=0', params: [] };
    return { sql: `${field.column} IS ${operator === 'set?' ? 'NOT ' : ''}NULL`, params: [] };
  }

  switch (field.kind) {
    case 'column': {
      const cmp = comparison(field.column, operator, values, field.type, options, position);
      return field.nullable ? { sql: `(${field.column} IS NOT NULL AND ${cmp.sql})`, params: cmp.params } : cmp;
    }
    case 'lookup': {
      const columns = typeof field.match === 'string' ? [field.match] : field.match;
      const cmp = join(columns.map((c) => comparison(`t.${c}`, operator, values, field.type ?? 'string', options, position)), ' OR ');
      return { sql: `(${field.column} IS NOT NULL AND ${field.column} IN (SELECT t.${field.idColumn} FROM ${field.table} t WHERE ${cmp.sql}))`, params: cmp.params };
    }
    case 'subtree': {
      const path = `t.${field.pathColumn}`;
      const each = values.map((v): Sql => ({ sql: `${path} = ? OR ${path} LIKE ? ESCAPE '!'`, params: [v, `${likeLiteral(v)}${field.separator}%`] }));
      const cond = join(each, ' OR ');
      return { sql: `(${field.column} IS NOT NULL AND ${field.column} IN (SELECT t.${field.idColumn} FROM ${field.table} t WHERE ${cond.sql}))`, params: cond.params };
    }
    case 'custom': {
      return field.compile({
        operator: operator as CustomContext['operator'],
        values,
        dialect: options.dialect,
        now: options.now,
        position,
        match(expr, matchOptions = {}) {
          const cmp = comparison(expr, operator, values, matchOptions.type ?? field.type, options, position);
          return matchOptions.nullable ? { sql: `(${expr} IS NOT NULL AND ${cmp.sql})`, params: cmp.params } : cmp;
        },
      });
    }
  }
}

/** The operators a key accepts, for auto-completion; empty for an unknown key. */
export function operatorsFor(key: string, definition: SearchDefinition): string[] {
  const lower = key.toLowerCase();
  const field = definition.fields[definition.aliases?.[lower] ?? lower];
  if (!field) {
    const dot = key.indexOf('.');
    return dot > 0 && definition.keyValues?.[key.slice(0, dot).toLowerCase()] ? [...STRING_OPERATORS] : [];
  }
  return [...fieldOperators(field)];
}

function fieldOperators(field: FieldDefinition): readonly SearchOperator[] {
  switch (field.kind) {
    case 'column': return field.values ? ENUM_OPERATORS : field.type === 'string' ? STRING_OPERATORS : ORDERED_OPERATORS;
    case 'lookup': return field.type === 'number' ? ORDERED_OPERATORS : LOOKUP_OPERATORS;
    case 'subtree': return SUBTREE_OPERATORS;
    case 'custom': return field.operators;
  }
}

/**
 * A column holding a JSON list of strings (a proxy's features, a filter's permissions): `=` means
 * the list holds that element, `~` a substring of the stored text. Comparing the whole text would
 * match nothing for `feature = Puppet`, stored as `["Puppet","Logs"]`.
 */
export function jsonListField(column: string): FieldDefinition {
  return {
    kind: 'custom',
    type: 'string',
    operators: LOOKUP_OPERATORS,
    compile(c) {
      if (c.operator === '~') return c.match(column);
      const each = c.values.map((v): Sql => ({ sql: `${column} LIKE ? ESCAPE '!'`, params: [`%${likeLiteral(JSON.stringify(v))}%`] }));
      const any = join(each, ' OR ');
      return each.length === 1 ? each[0] : { sql: `(${any.sql})`, params: any.params };
    },
  };
}

/** One key of a definition as documented: its operators and its other names. */
export interface SearchFieldDoc {
  key: string;
  operators: string[];
  aliases: string[];
  /** The only values it holds, when fixed. */
  values?: string[];
}

/** The keys of a definition (dynamic ones as `facts.<name>`), for the OpenAPI document and docs/API.md. */
export function searchFields(definition: SearchDefinition): SearchFieldDoc[] {
  const aliasesOf = (key: string) => Object.entries(definition.aliases ?? {}).filter(([, to]) => to === key).map(([from]) => from).sort();
  const fixed = Object.entries(definition.fields).map(([key, field]): SearchFieldDoc => {
    const values = field.kind === 'column' || field.kind === 'custom' ? field.values : undefined;
    return { key, operators: [...fieldOperators(field)], aliases: aliasesOf(key), ...(values ? { values: [...values] } : {}) };
  });
  const dynamic = Object.keys(definition.keyValues ?? {}).map((prefix): SearchFieldDoc => ({ key: `${prefix}.<name>`, operators: [...STRING_OPERATORS], aliases: [] }));
  return [...fixed, ...dynamic];
}
