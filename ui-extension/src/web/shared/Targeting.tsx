import { useEffect, useState } from 'react';
import type { HostgroupDto } from '@common/inventory';
import type { StoredTargeting } from '@common/jobs';
import { targetingText } from './format';
import { api } from './http';
import { Link } from './router';

/**
 * Hostgroup titles by id, asked once per id for the page's lifetime (a list of jobs on the same
 * few hostgroups makes a few requests, not one per row). A hostgroup the user may not see, or one
 * deleted since, resolves to null and its target reads `hostgroup #id`.
 */
const titles = new Map<number, Promise<string | null>>();

/** Forgets every title: another user may see other hostgroups (called when the session changes). */
export function forgetHostgroupTitles(): void {
  titles.clear();
}

function hostgroupTitle(id: number): Promise<string | null> {
  let title = titles.get(id);
  if (!title) {
    title = api<HostgroupDto>('GET', `/hostgroups/${id}`).then((g) => g.title, () => null);
    titles.set(id, title);
  }
  return title;
}

/** The title of hostgroup `id` once known; undefined while asking, null when it cannot be shown. */
export function useHostgroupTitle(id: number | null): string | null | undefined {
  const [title, setTitle] = useState<{ id: number | null; title: string | null | undefined }>({ id, title: undefined });
  useEffect(() => {
    if (id === null) return;
    let live = true;
    hostgroupTitle(id).then((t) => { if (live) setTitle({ id, title: t }); });
    return () => { live = false; };
  }, [id]);
  return title.id === id ? title.title : undefined;
}

/** A job's or schedule's targeting in a few words, a hostgroup by its title (linked to its page). */
export function TargetingText({ targeting }: { targeting: Pick<StoredTargeting, 'search' | 'host_ids' | 'hostgroup_id' | 'pql'> }) {
  const id = targeting.pql === null && targeting.search === null && !targeting.host_ids ? targeting.hostgroup_id : null;
  const title = useHostgroupTitle(id);
  if (id !== null && title) return <>hostgroup <Link to={`/hostgroups/${id}`}>{title}</Link></>;
  return <>{targetingText(targeting, title)}</>;
}
