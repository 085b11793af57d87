import type { HostDto } from '@common/inventory';
import { api, type ListEnvelope } from '../shared/http';

export const getHost = (id: string) => api<HostDto>('GET', `/hosts/${encodeURIComponent(id)}`);
export const hostFacts = (id: number, q: { search: string; page: number; per_page: number }) => api<ListEnvelope<{ name: string; value: string }>>('GET', `/hosts/${id}/facts`, { query: q });
