import { CompoundFilterError, parseCompoundFilter } from '@proxy/broker/mcollective/compound-filter';

/**
 * Expected token lists are what MCollective 2.12's own Matcher::Parser#execution_stack returns for
 * the same expression (checked with `ruby -e 'require "mcollective"; p
 * MCollective::Matcher::Parser.new(EXPR).execution_stack'` on Debian bookworm).
 */
describe(parseCompoundFilter.name, () => {
  it('tokenizes statements, and, or, not and parentheses as Matcher::Parser does', () => {
    expect(parseCompoundFilter('hostgroup=web or (osfamily=Debian and not role::db) or fstat("/etc/hosts").size>0')).toEqual([
      { statement: 'hostgroup=web' },
      { or: 'or' },
      { '(': '(' },
      { statement: 'osfamily=Debian' },
      { and: 'and' },
      { not: 'not' },
      { statement: 'role::db' },
      { ')': ')' },
      { or: 'or' },
      { fstatement: 'fstat("/etc/hosts").size>0' },
    ]);
  });

  it('joins spaces around an operator into one statement', () => {
    expect(parseCompoundFilter('hostgroup = web and uptime>=10')).toEqual([{ statement: 'hostgroup=web' }, { and: 'and' }, { statement: 'uptime>=10' }]);
  });

  it('also joins spaces around a two-character operator, which Matcher::Parser refuses', () => {
    expect(parseCompoundFilter('uptime >= 10')).toEqual([{ statement: 'uptime>=10' }]);
  });

  it('keeps regex values whole, spaces included, and strips quotes from quoted values', () => {
    expect(parseCompoundFilter('hostname=/^web-0[12] ?$/ and !name="a b"')).toEqual([
      { statement: 'hostname=/^web-0[12] ?$/' },
      { and: 'and' },
      { not: 'not' },
      { statement: 'name=a b' },
    ]);
  });

  it('reads words that only start like a keyword as statements', () => {
    expect(parseCompoundFilter('android=1 or notify=2 and order=3')).toEqual([
      { statement: 'android=1' },
      { or: 'or' },
      { statement: 'notify=2' },
      { and: 'and' },
      { statement: 'order=3' },
    ]);
  });

  it.each([
    ['', 'empty'],
    ['hostgroup=web or', 'ends without a statement'],
    ['and hostgroup=web', 'needs a statement before it'],
    ['(hostgroup=web', 'unbalanced'],
    ['hostgroup=web)', 'unbalanced'],
    ['a=1 b=2', 'missing and/or'],
    ['hostgroup=', 'needs a name and a value'],
    ['name="open', 'unterminated quote'],
  ])('refuses %j because it %s', (expression, why) => {
    expect(() => parseCompoundFilter(expression)).toThrow(CompoundFilterError);
    expect(() => parseCompoundFilter(expression)).toThrow(new RegExp(why));
  });
});
