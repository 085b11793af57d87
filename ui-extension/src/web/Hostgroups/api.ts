import type { HostgroupDto } from '@common/inventory';
import { api, type ListEnvelope } from '../shared/http';

export const listHostgroups = (q: { search: string; page: number; per_page: number }) => api<ListEnvelope<HostgroupDto>>('GET', '/hostgroups', { query: q });
export const getHostgroup = (id: string) => api<HostgroupDto>('GET', `/hostgroups/${encodeURIComponent(id)}`);
