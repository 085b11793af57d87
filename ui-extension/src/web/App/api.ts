import { api, type ListEnvelope } from '../shared/http';

export interface TaxonomyRow {
  id: number;
  name: string;
}

export const organizations = () => api<ListEnvelope<TaxonomyRow>>('GET', '/organizations', { query: { per_page: 1000 } });
export const locations = () => api<ListEnvelope<TaxonomyRow>>('GET', '/locations', { query: { per_page: 1000 } });
