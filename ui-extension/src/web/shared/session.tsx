import { createContext, useContext } from 'react';
import type { SessionUser } from '@common/session';

export interface SessionState {
  user: SessionUser;
  /**
   * Whether the user holds the permission (with any conditions), from `GET /current_user`: pages
   * hide what it cannot do. The API still decides each request; until the answer came (or if it
   * failed) nothing is held, and an administrator holds everything.
   */
  can(permission: string): boolean;
  logout(): void;
}

export const SessionContext = createContext<SessionState | null>(null);

export function useSession(): SessionState {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a logged-in page');
  return s;
}

export interface Taxonomy {
  organization: string | null;
  location: string | null;
}

export const TaxonomyContext = createContext<{ taxonomy: Taxonomy; setTaxonomy(t: Taxonomy): void }>({ taxonomy: { organization: null, location: null }, setTaxonomy: () => undefined });

export function useTaxonomy() {
  return useContext(TaxonomyContext);
}

/** Adds the chosen organization and location to a host search, as Foreman scopes every host list. */
export function scopedSearch(search: string, taxonomy: Taxonomy): string {
  const parts = [search.trim()].filter(Boolean);
  if (taxonomy.organization) parts.push(`organization = "${taxonomy.organization}"`);
  if (taxonomy.location) parts.push(`location = "${taxonomy.location}"`);
  return parts.map((p, i) => (parts.length > 1 && i === 0 && search.trim() ? `(${p})` : p)).join(' and ');
}
