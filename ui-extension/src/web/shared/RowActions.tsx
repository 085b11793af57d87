import { Divider, Dropdown, DropdownItem, DropdownList, MenuToggle } from '@patternfly/react-core';
import { EllipsisVIcon } from '@patternfly/react-icons';
import { Fragment, useState } from 'react';

export interface RowAction {
  title: string;
  onClick(): void;
  isDanger?: boolean;
  isDisabled?: boolean;
  /** Why it is disabled, shown under it. */
  description?: string;
  /** A divider above this item. */
  separated?: boolean;
}

/** A table row's kebab menu (Foreman's per-row actions), its toggle named after the row. */
export function RowActions({ label, actions }: { label: string; actions: RowAction[] }) {
  const [open, setOpen] = useState(false);
  if (actions.length === 0) return null;
  return (
    <Dropdown
      isOpen={open}
      onOpenChange={setOpen}
      onSelect={() => setOpen(false)}
      popperProps={{ position: 'right' }}
      toggle={(ref) => <MenuToggle ref={ref} variant="plain" onClick={() => setOpen((o) => !o)} isExpanded={open} aria-label={`Actions for ${label}`} icon={<EllipsisVIcon />} />}
    >
      <DropdownList>
        {actions.map((a) => (
          <Fragment key={a.title}>
            {a.separated && <Divider component="li" />}
            <DropdownItem onClick={a.onClick} isDanger={a.isDanger} isDisabled={a.isDisabled} description={a.description}>{a.title}</DropdownItem>
          </Fragment>
        ))}
      </DropdownList>
    </Dropdown>
  );
}
