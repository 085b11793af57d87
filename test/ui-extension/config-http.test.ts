import { loadConfig } from '@server/config';

describe('loadConfig: http.trust_proxy and sessions', () => {
  it('trusts no proxy by default, and none for false as before', () => {
    expect(loadConfig({ env: {} }).http.trust_proxy).toEqual([]);
    expect(loadConfig({ env: { UI_EXTENSION_TRUST_PROXY: 'false' } }).http.trust_proxy).toEqual([]);
    expect(loadConfig({ env: {}, overrides: { 'http.trust_proxy': false } }).http.trust_proxy).toEqual([]);
  });

  it('reads a list of addresses, CIDRs and range names from YAML or a comma-separated env var', () => {
    expect(loadConfig({ env: {}, overrides: { 'http.trust_proxy': ['10.0.0.5', '10.0.1.0/24', 'fd00::/8', 'loopback'] } }).http.trust_proxy).toEqual(['10.0.0.5', '10.0.1.0/24', 'fd00::/8', 'loopback']);
    expect(loadConfig({ env: { UI_EXTENSION_TRUST_PROXY: ' 192.0.2.1, uniquelocal ' } }).http.trust_proxy).toEqual(['192.0.2.1', 'uniquelocal']);
  });

  it('refuses true, which let any client choose its address, and says what to write instead', () => {
    expect(() => loadConfig({ env: { UI_EXTENSION_TRUST_PROXY: 'true' } })).toThrow(/http\.trust_proxy \(from UI_EXTENSION_TRUST_PROXY\): must list the addresses or CIDRs of your reverse proxies .*true is no longer accepted/);
    expect(() => loadConfig({ env: {}, overrides: { 'http.trust_proxy': true } })).toThrow(/http\.trust_proxy/);
  });

  it('names a bad entry and the rule', () => {
    expect(() => loadConfig({ env: { UI_EXTENSION_TRUST_PROXY: '10.0.0.5, balancer.example.com' } })).toThrow(/"balancer\.example\.com" is not an IP address, a CIDR such as 10\.0\.0\.0\/24, or one of loopback, linklocal, uniquelocal/);
    expect(() => loadConfig({ env: { UI_EXTENSION_TRUST_PROXY: '10.0.0.0/33' } })).toThrow(/"10\.0\.0\.0\/33" is not an IP address/);
  });

  it('gives sessions an absolute lifetime of 12 hours besides the 8-hour idle timeout', () => {
    expect(loadConfig({ env: {} }).http).toMatchObject({ session_idle_timeout_s: 28800, session_max_lifetime_s: 43200 });
    expect(loadConfig({ env: { UI_EXTENSION_SESSION_MAX_LIFETIME_S: '3600' } }).http.session_max_lifetime_s).toBe(3600);
  });
});
