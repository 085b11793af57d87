import type { HostgroupWithCountDto } from '@common/inventory';
import { api, type ListEnvelope } from '../shared/http';

export const listHostgroups = (q: { search: string; page: number; per_page: number }) => api<ListEnvelope<HostgroupWithCountDto>>('GET', '/hostgroups', { query: q });
export const getHostgroup = (id: string) => api<HostgroupWithCountDto>('GET', `/hostgroups/${encodeURIComponent(id)}`);
