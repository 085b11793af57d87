import type { SmartProxyDto } from '@common/inventory';
import { api, type ListEnvelope } from '../shared/http';

export const listSmartProxies = (q: { search: string; page: number; per_page: number }) => api<ListEnvelope<SmartProxyDto>>('GET', '/smart_proxies', { query: q });
export const getSmartProxy = (id: string) => api<SmartProxyDto>('GET', `/smart_proxies/${encodeURIComponent(id)}`);
export const refreshSmartProxy = (id: number) => api<unknown>('POST', `/smart_proxies/${id}/refresh`);
