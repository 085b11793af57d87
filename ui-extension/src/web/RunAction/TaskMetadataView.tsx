import { CodeBlock, CodeBlockCode, Content, DescriptionList, DescriptionListDescription, DescriptionListGroup, DescriptionListTerm, ExpandableSection, Label } from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useState } from 'react';
import type { NamespaceAction } from '@common/jobs';
import { taskMetadata } from './task-metadata';

/** A Puppet Task's metadata (as `puppet task show`): description, no-op support, usage and parameters with their Puppet types. */
export function TaskMetadataView({ action, expanded = true }: { action: NamespaceAction; expanded?: boolean }) {
  const [open, setOpen] = useState(expanded);
  const task = taskMetadata(action);
  return (
    <ExpandableSection toggleText={`Task ${task.name}${!open && task.description ? ` — ${task.description}` : ''}`} isExpanded={open} onToggle={(_e, v) => setOpen(v)} className="rex-task-metadata">
      {task.description && <Content component="p">{task.description}</Content>}
      <DescriptionList isCompact isHorizontal>
        <DescriptionListGroup>
          <DescriptionListTerm>No-op</DescriptionListTerm>
          <DescriptionListDescription>{task.supportsNoop ? 'supported' : 'not supported'}{task.private && <Label isCompact style={{ marginLeft: 8 }}>private</Label>}</DescriptionListDescription>
        </DescriptionListGroup>
      </DescriptionList>
      <CodeBlock aria-label={`Usage of ${task.name}`}><CodeBlockCode>{task.usage}</CodeBlockCode></CodeBlock>
      {task.parameters.length === 0 ? (
        <Content component="p">This task takes no parameters.</Content>
      ) : (
        <Table aria-label={`Parameters of ${task.name}`} variant="compact" borders={false}>
          <Thead><Tr><Th>Parameter</Th><Th>Puppet type</Th><Th>Required</Th><Th>Default</Th><Th>Description</Th></Tr></Thead>
          <Tbody>
            {task.parameters.map((p) => (
              <Tr key={p.name}>
                <Td className="rex-mono">{p.name}{p.sensitive && <Label isCompact style={{ marginLeft: 4 }}>sensitive</Label>}</Td>
                <Td className="rex-mono">{p.type}</Td>
                <Td>{p.required ? 'yes' : 'no'}</Td>
                <Td className="rex-mono">{p.defaultJson || '—'}</Td>
                <Td>{p.description}</Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
    </ExpandableSection>
  );
}
