import { Card, CardBody, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, Label, LabelGroup } from '@patternfly/react-core';
import type { UserDto } from '@common/users';
import { formatTime } from '../shared/format';

const refs = (list: Array<{ id: number; name: string }>, empty: string) =>
  list.length > 0 ? <LabelGroup>{list.map((r) => <Label key={r.id} isCompact>{r.name}</Label>)}</LabelGroup> : empty;

/** A user's account as the API shows it (never its password). */
export function UserDetails({ user }: { user: UserDto }) {
  return (
    <Card isPlain>
      <CardBody>
        <DescriptionList isHorizontal columnModifier={{ lg: '2Col' }} aria-label={`Account of ${user.login}`}>
          <DescriptionListGroup><DescriptionListTerm>Login</DescriptionListTerm><DescriptionListDescription>{user.login}</DescriptionListDescription></DescriptionListGroup>
          <DescriptionListGroup><DescriptionListTerm>Name</DescriptionListTerm><DescriptionListDescription>{[user.firstname, user.lastname].filter(Boolean).join(' ') || '—'}</DescriptionListDescription></DescriptionListGroup>
          <DescriptionListGroup><DescriptionListTerm>Mail</DescriptionListTerm><DescriptionListDescription>{user.mail ?? '—'}</DescriptionListDescription></DescriptionListGroup>
          <DescriptionListGroup><DescriptionListTerm>Status</DescriptionListTerm><DescriptionListDescription>{user.admin ? 'administrator, ' : ''}{user.disabled ? 'disabled' : 'active'}</DescriptionListDescription></DescriptionListGroup>
          <DescriptionListGroup><DescriptionListTerm>Roles</DescriptionListTerm><DescriptionListDescription>{refs(user.roles, 'none')}</DescriptionListDescription></DescriptionListGroup>
          <DescriptionListGroup><DescriptionListTerm>Organizations</DescriptionListTerm><DescriptionListDescription>{refs(user.organizations, 'any')}</DescriptionListDescription></DescriptionListGroup>
          <DescriptionListGroup><DescriptionListTerm>Locations</DescriptionListTerm><DescriptionListDescription>{refs(user.locations, 'any')}</DescriptionListDescription></DescriptionListGroup>
          <DescriptionListGroup><DescriptionListTerm>Created</DescriptionListTerm><DescriptionListDescription>{formatTime(user.created_at)}</DescriptionListDescription></DescriptionListGroup>
        </DescriptionList>
      </CardBody>
    </Card>
  );
}
