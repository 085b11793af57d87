import { isLoopbackHost, proxyHost, readableGrpcDetails } from '@server/proxies/proxy-client';

describe(proxyHost.name, () => {
  it.each([
    ['127.0.0.1:50051', '127.0.0.1'],
    ['localhost:50051', 'localhost'],
    ['dns:localhost:1', 'localhost'],
    ['dns:///LOCALHOST:1', 'localhost'],
    ['dns://8.8.8.8/proxy.example.com:443', 'proxy.example.com'],
    ['grpc://127.0.0.2:9', '127.0.0.2'],
    ['[::1]:50051', '::1'],
    ['ipv6:[::1]:5', '::1'],
    ['proxy.example.com:443', 'proxy.example.com'],
  ])('reads the host of %s as %s', (url, host) => {
    expect(proxyHost(url)).toBe(host);
  });
});

describe(isLoopbackHost.name, () => {
  it('accepts only addresses that stay on this machine', () => {
    expect(['127.0.0.1', '127.9.9.9', '::1', 'localhost'].map(isLoopbackHost)).toEqual([true, true, true, true]);
    expect(['10.0.0.1', '0.0.0.0', 'proxy.example.com', '127.0.0.1.example.com', 'localhost.example.com'].map(isLoopbackHost)).toEqual([false, false, false, false, false]);
  });
});

describe(readableGrpcDetails.name, () => {
  it("keeps a deadline's first part, and says no connection was made when the call waited for one", () => {
    expect(readableGrpcDetails('Deadline exceeded after 10.000s,metadata filters: 0.001s,Waiting for LB pick')).toBe('Deadline exceeded after 10.000s (no connection to the smart proxy)');
    expect(readableGrpcDetails('Deadline exceeded after 5.002s,metadata filters: 0.000s,LB pick: 0.001s,remote_addr=127.0.0.1:50052')).toBe('Deadline exceeded after 5.002s');
    expect(readableGrpcDetails('Deadline exceeded after 5.002s')).toBe('Deadline exceeded after 5.002s');
    expect(readableGrpcDetails('Connection dropped')).toBe('Connection dropped');
  });
});
