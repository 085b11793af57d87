// Original file: protos/rex/proxy/v1/proxy.proto


export interface ListAgentsRequest {
  /**
   * Read the catalogs again before answering (the Puppet Tasks list and every task's metadata),
   * as a proxy refresh (POST /api/v2/smart_proxies/:id/refresh) asks; otherwise a cached list is
   * answered until its TTL passes.
   */
  'refresh'?: (boolean);
}

export interface ListAgentsRequest__Output {
  /**
   * Read the catalogs again before answering (the Puppet Tasks list and every task's metadata),
   * as a proxy refresh (POST /api/v2/smart_proxies/:id/refresh) asks; otherwise a cached list is
   * answered until its TTL passes.
   */
  'refresh': (boolean);
}
