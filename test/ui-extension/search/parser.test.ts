import { AppError } from '@server/errors';
import { parseSearch, SEARCH_LIMITS, tokenize, type SearchNode } from '@server/search/parser';

/** A compact rendering of the AST so precedence is visible in one string. */
function show(node: SearchNode | null): string {
  if (!node) return '';
  switch (node.type) {
    case 'and': return `(${show(node.left)} AND ${show(node.right)})`;
    case 'or': return `(${show(node.left)} OR ${show(node.right)})`;
    case 'not': return `NOT ${show(node.operand)}`;
    case 'condition': return `[${node.key} ${node.operator} ${node.value}]`;
    case 'list': return `[${node.key} ${node.operator} (${node.values.join('|')})]`;
    case 'presence': return `[${node.operator} ${node.key}]`;
    case 'text': return `'${node.value}'`;
  }
}

function errorOf(input: string): AppError {
  try {
    parseSearch(input);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error(`no error for ${input}`);
}

describe(parseSearch.name, () => {
  it('returns null when the search is empty or blank', () => {
    expect(parseSearch('')).toBeNull();
    expect(parseSearch('   ')).toBeNull();
  });

  it.each([
    ['name = web01', '[name = web01]'],
    ['name != web01', '[name != web01]'],
    ['name ~ web', '[name ~ web]'],
    ['name !~ web', '[name !~ web]'],
    ['facts.processorcount > 4', '[facts.processorcount > 4]'],
    ['facts.processorcount < 4', '[facts.processorcount < 4]'],
    ['facts.processorcount >= 4', '[facts.processorcount >= 4]'],
    ['facts.processorcount <= 4', '[facts.processorcount <= 4]'],
    ['name ^ (a, b,c)', '[name ^ (a|b|c)]'],
    ['name !^ (a,b)', '[name !^ (a|b)]'],
    ['name ^ a', '[name ^ (a)]'],
    ['set? last_seen', '[set? last_seen]'],
    ['null? hostgroup', '[null? hostgroup]'],
    // scoped_search's other spelling of set?
    ['has facts.osfamily', '[set? facts.osfamily]'],
    ['HAS hostgroup', '[set? hostgroup]'],
  ])('parses the operator when the search is %s', (input, expected) => {
    expect(show(parseSearch(input))).toBe(expected);
  });

  it.each([
    'name', 'hostgroup', 'hostgroup_fullname', 'hostgroup_title', 'parent_hostgroup', 'facts.osfamily',
    'puppetmaster', 'smart_proxy', 'organization', 'location', 'last_seen',
  ])('keeps the key %s as written when parsing a condition', (key) => {
    expect(show(parseSearch(`${key} = x`))).toBe(`[${key} = x]`);
  });

  it('searches the word has as free text when it is quoted', () => {
    expect(show(parseSearch('"has"'))).toBe("'has'");
  });

  it('binds not tighter than and, and and tighter than or', () => {
    expect(show(parseSearch('a = 1 or not b = 2 and c = 3'))).toBe('([a = 1] OR (NOT [b = 2] AND [c = 3]))');
  });

  it('accepts the symbolic forms && || ! like the words', () => {
    expect(show(parseSearch('a = 1 || ! b = 2 && c = 3'))).toBe('([a = 1] OR (NOT [b = 2] AND [c = 3]))');
  });

  it('reads juxtaposed terms as and when no operator joins them', () => {
    expect(show(parseSearch('a = 1 b = 2'))).toBe('([a = 1] AND [b = 2])');
  });

  it('lets parentheses override precedence when they group an or', () => {
    expect(show(parseSearch('(a = 1 or b = 2) and not (c = 3)'))).toBe('(([a = 1] OR [b = 2]) AND NOT [c = 3])');
  });

  it('treats keywords case-insensitively when they are not quoted', () => {
    expect(show(parseSearch('a = 1 AND b = 2 Or NOT c = 3'))).toBe('(([a = 1] AND [b = 2]) OR NOT [c = 3])');
  });

  it('keeps spaces, operators and keywords inside quoted values', () => {
    expect(show(parseSearch('hostgroup_title = "base/web and more" or name = \'a = b\''))).toBe('([hostgroup_title = base/web and more] OR [name = a = b])');
  });

  it('resolves backslash escapes inside quotes', () => {
    expect(show(parseSearch('name = "say \\"hi\\""'))).toBe('[name = say "hi"]');
  });

  it('reads a bare word or quoted string as free text', () => {
    expect(show(parseSearch('web01 "two words"'))).toBe("('web01' AND 'two words')");
  });

  it('reads operators without spaces around them', () => {
    expect(show(parseSearch('facts.osfamily=RedHat&&name!~db'))).toBe('([facts.osfamily = RedHat] AND [name !~ db])');
  });

  it('names the position and a value when a value is missing', () => {
    const error = errorOf('name = ');
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toBe("search: found end of input at position 8; expected a value after '='");
    expect(error.details).toMatchObject({ position: 8 });
  });

  it('names the position of an unclosed parenthesis', () => {
    expect(errorOf('(name = a or name = b').message).toBe("search: found end of input at position 22; expected ')' or 'and'/'or'");
  });

  it('names the position of a stray closing parenthesis', () => {
    expect(errorOf('name = a )').message).toBe("search: found ')' at position 10; expected 'and', 'or' or end of input");
  });

  it('names the position of an unterminated quote', () => {
    expect(errorOf('name = "abc').message).toBe('search: unterminated quoted value at position 8; expected a closing "');
  });

  it('names the position when an operator has no key', () => {
    expect(errorOf('a = 1 and = 2').message).toBe("search: found operator '=' at position 11; expected a field name before the operator");
  });

  it('names the position when a list is not closed', () => {
    expect(errorOf('name ^ (a, b').message).toBe("search: found end of input at position 13; expected ',' or ')'");
  });

  it('rejects a dangling and at its end', () => {
    expect(errorOf('name = a and').message).toBe("search: found end of input at position 13; expected a condition, a value, 'not' or '('");
  });

  it('rejects a single ampersand', () => {
    expect(errorOf('a = 1 & b = 2').message).toBe("search: unexpected '&' at position 7; expected '&&'");
  });

  it('refuses parentheses nested deeper than the limit, which overflowed the stack before', () => {
    const error = errorOf(`${'('.repeat(4990)}name = x${')'.repeat(4990)}`);
    expect(error.message).toBe(`search: nests parentheses and 'not' more than ${SEARCH_LIMITS.depth} levels deep at position ${SEARCH_LIMITS.depth + 1}; expected at most ${SEARCH_LIMITS.depth} levels`);
    expect(error.details).toMatchObject({ fields: [{ field: 'search', rule: `at most ${SEARCH_LIMITS.depth} levels deep` }] });
    expect(show(parseSearch(`${'('.repeat(SEARCH_LIMITS.depth)}name = x${')'.repeat(SEARCH_LIMITS.depth)}`))).toBe('[name = x]');
  });

  it("refuses 'not' repeated deeper than the limit, which SQLite refused with a 500 before", () => {
    expect(errorOf(`${'not '.repeat(1000)}name = x`).message).toMatch(/^search: nests parentheses and 'not' more than \d+ levels deep at position \d+/);
  });

  it('refuses more terms than the limit, naming the list form that has none', () => {
    const terms = Array.from({ length: 1100 }, (_, i) => `name = h${i}`);
    const error = errorOf(terms.join(' or '));
    expect(error.message).toBe(`search: has more than ${SEARCH_LIMITS.terms} terms at position ${terms.slice(0, SEARCH_LIMITS.terms).join(' or ').length + 5}; expected at most ${SEARCH_LIMITS.terms} terms (name many values at once with key ^ (a, b, c))`);
    expect(parseSearch(terms.slice(0, SEARCH_LIMITS.terms).join(' or '))).not.toBeNull();
    expect(parseSearch(`name ^ (${terms.map((_, i) => `h${i}`).join(', ')})`)).toMatchObject({ type: 'list' });
  });
});

describe(tokenize.name, () => {
  it('marks an unterminated string instead of failing when lenient', () => {
    const tokens = tokenize('name = "ab', { lenient: true });
    expect(tokens[2]).toEqual({ kind: 'string', text: 'ab', position: 8, unterminated: true });
  });
});
