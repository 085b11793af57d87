import { Pagination, Toolbar, ToolbarContent, ToolbarItem } from '@patternfly/react-core';
import type { ReactNode } from 'react';

/** The toolbar above a Foreman list: search, actions, and paging. */
export function ListToolbar(props: { search?: ReactNode; actions?: ReactNode; total: number; page: number; perPage: number; onPage(page: number, perPage: number): void; id: string }) {
  return (
    <Toolbar id={props.id}>
      <ToolbarContent>
        {props.search && <ToolbarItem className="rex-toolbar-search" style={{ flex: '1 1 420px' }}>{props.search}</ToolbarItem>}
        {props.actions && <ToolbarItem>{props.actions}</ToolbarItem>}
        <ToolbarItem variant="pagination" align={{ default: 'alignEnd' }}>
          <Pagination
            itemCount={props.total}
            page={props.page}
            perPage={props.perPage}
            perPageOptions={[10, 20, 50, 100].map((n) => ({ title: String(n), value: n }))}
            onSetPage={(_e, p) => props.onPage(p, props.perPage)}
            onPerPageSelect={(_e, pp) => props.onPage(1, pp)}
            isCompact
            titles={{ paginationAriaLabel: `${props.id} pagination` }}
          />
        </ToolbarItem>
      </ToolbarContent>
    </Toolbar>
  );
}

/** Reads page and per_page from the URL with defaults. */
export function pageParams(search: URLSearchParams, perPage = 20): { page: number; perPage: number } {
  const page = Math.max(1, Number(search.get('page')) || 1);
  const pp = Math.min(1000, Math.max(1, Number(search.get('per_page')) || perPage));
  return { page, perPage: pp };
}
