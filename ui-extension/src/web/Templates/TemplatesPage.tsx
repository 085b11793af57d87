import {
  Alert, Button, Form, FormGroup, FormHelperText, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, PageSection, TextInput,
} from '@patternfly/react-core';
import { Table, Tbody, Td, Th, Thead, Tr } from '@patternfly/react-table';
import { useMemo, useState } from 'react';
import type { DdlInputDto } from '@common/inventory';
import type { JobTemplateDto } from '@common/job-templates';
import { DdlForm } from '../RunAction/DdlForm';
import { initialValues, toArguments, type DdlValues } from '../RunAction/ddl-values';
import { EmptyTableRow } from '../shared/EmptyStates';
import { ErrorAlert } from '../shared/ErrorAlert';
import { ApiError, errorMessage } from '../shared/http';
import { useLoad } from '../shared/hooks';
import { useNotify } from '../shared/Notifications';
import { PageHeader } from '../shared/PageHeader';
import { useRouter } from '../shared/router';
import { jobTemplates, runTemplate } from './api';

/** A template's inputs in the shape the DDL form draws. */
function asDdlInputs(t: JobTemplateDto): DdlInputDto[] {
  return t.inputs.map((i) => ({
    name: i.name, prompt: i.name, description: i.description ?? '', type: i.type, optional: !i.required, validation: '', maxlength: 0, list: [],
    default_json: i.default === undefined ? '' : JSON.stringify(i.default),
  }));
}

/** Runs one template: its inputs as a form, the targeting its own unless a search is given. */
function RunTemplateModal(props: { template: JobTemplateDto; onClose(): void }) {
  const { navigate } = useRouter();
  const notify = useNotify();
  const t = props.template;
  const inputs = useMemo(() => asDdlInputs(t), [t]);
  const [values, setValues] = useState<DdlValues>(() => initialValues(inputs));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [search, setSearch] = useState('');
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    setFailure(undefined);
    const { args, problems } = toArguments(inputs, values);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    try {
      const job = await runTemplate(t.id, { inputs: args, ...(search.trim() ? { targeting: { search: search.trim() } } : {}) });
      notify('success', `Job ${job.id} started`, job.description);
      props.onClose();
      navigate(`/jobs/${job.id}`);
    } catch (error) {
      // 422 names the input as `inputs.<name>`: shown under it.
      const input = error instanceof ApiError ? String(error.details?.input ?? '').replace(/^inputs\./, '') : '';
      if (input && inputs.some((i) => i.name === input)) setErrors({ [input]: errorMessage(error) });
      setFailure(error);
      setBusy(false);
    }
  };

  return (
    <Modal isOpen onClose={props.onClose} variant="medium" aria-labelledby="run-template-title" position="top">
      <ModalHeader title={`Run ${t.name}`} labelId="run-template-title" description={`${t.namespace}.${t.action}${t.description_format ? ` · ${t.description_format}` : ''}`} />
      <ModalBody>
        <Form id="run-template-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
          <DdlForm inputs={inputs} values={values} errors={errors} onChange={setValues} />
          <FormGroup label="Hosts" fieldId="run-template-search">
            <TextInput id="run-template-search" value={search} onChange={(_e, v) => setSearch(v)} placeholder={t.targeting ? 'the template\'s own targeting' : 'a host search, e.g. hostgroup = web'} />
            <FormHelperText><HelperText><HelperTextItem>{t.targeting ? `Leave empty for the template's targeting: ${JSON.stringify(t.targeting)}` : 'This template has no targeting of its own: give a search.'}</HelperTextItem></HelperText></FormHelperText>
          </FormGroup>
          {failure !== undefined && <Alert variant="danger" isInline title="The template was not run" role="alert" className="rex-error">{errorMessage(failure)}</Alert>}
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" type="submit" form="run-template-form" isDisabled={busy || (!t.targeting && !search.trim())} isLoading={busy}>Run</Button>
        <Button variant="link" onClick={props.onClose}>Cancel</Button>
      </ModalFooter>
    </Modal>
  );
}

/** Job templates (`/job_templates`): each with its action and inputs, and Run. */
export function TemplatesPage() {
  const list = useLoad(() => jobTemplates(), []);
  const [running, setRunning] = useState<JobTemplateDto>();
  const rows = list.data?.results ?? [];
  return (
    <>
      <PageHeader title="Job templates" description="Saved actions with typed inputs, run by name (rex template run, POST /api/v2/job_templates/:id/run)." />
      <PageSection>
        <ErrorAlert error={list.error} title="Cannot list the job templates" />
        <Table aria-label="Job templates" variant="compact" data-testid="job-templates">
          <Thead><Tr><Th>Name</Th><Th>Action</Th><Th>Inputs</Th><Th>Description</Th><Th screenReaderText="Actions" /></Tr></Thead>
          <Tbody>
            {rows.map((t) => (
              <Tr key={t.id}>
                <Td dataLabel="Name">{t.name}</Td>
                <Td dataLabel="Action" className="rex-mono">{t.namespace}.{t.action}</Td>
                <Td dataLabel="Inputs">{t.inputs.map((i) => `${i.name} (${i.type}${i.required ? ', required' : ''})`).join(', ') || '—'}</Td>
                <Td dataLabel="Description">{t.description_format}</Td>
                <Td dataLabel="Actions"><Button variant="secondary" size="sm" onClick={() => setRunning(t)} aria-label={`Run ${t.name}`}>Run</Button></Td>
              </Tr>
            ))}
            {!list.loading && rows.length === 0 && <EmptyTableRow colSpan={5} title="No job templates">An administrator saves them with rex template import or POST /api/v2/job_templates.</EmptyTableRow>}
          </Tbody>
        </Table>
      </PageSection>
      {running && <RunTemplateModal template={running} onClose={() => setRunning(undefined)} />}
    </>
  );
}
