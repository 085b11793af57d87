import type { HostDto } from '@common/inventory';
import { api, type ListEnvelope } from '../shared/http';
import type { Suggestion } from '../shared/SearchBar';

export const listHosts = (q: { search: string; page: number; per_page: number; order?: string }, signal?: AbortSignal) => api<ListEnvelope<HostDto>>('GET', '/hosts', { query: q, signal });
export const autocompleteHosts = (search: string) => api<Suggestion[]>('GET', '/hosts/auto_complete_search', { query: { search } });
