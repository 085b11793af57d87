/**
 * Facts cross the gRPC contract and sit in the inventory as flat strings: nested facts become
 * `a::b` keys (Foreman's and MCollective's convention), scalars their string, lists and nulls JSON.
 * Both the proxy (rpcutil inventory replies) and the ui-extension (PuppetDB) flatten this way.
 */
export function flattenFacts(facts: Record<string, unknown>, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  for (const [key, value] of Object.entries(facts)) {
    const name = prefix ? `${prefix}::${key}` : key;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) flattenFacts(value as Record<string, unknown>, name, out);
    else out[name] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}
