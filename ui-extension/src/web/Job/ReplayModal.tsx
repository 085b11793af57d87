import { Alert, Button, Form, FormGroup, FormSelect, FormSelectOption, Modal, ModalBody, ModalFooter, ModalHeader, Radio, TextInput } from '@patternfly/react-core';
import { useMemo, useState } from 'react';
import type { JobStatus, ReplayJobRequest } from '@common/jobs';
import { errorMessage } from '../shared/http';
import { useLoad } from '../shared/hooks';
import { useNotify } from '../shared/Notifications';
import { useRouter } from '../shared/router';
import { TargetPreview, type PreviewRequest } from '../RunAction/TargetPreview';
import { hostgroupChoices, previewReplay, replayJob } from './api';

type Kind = 'all' | 'failed' | 'hostgroup' | 'search';

/**
 * Rerun (Foreman REX's word; the API calls it replay): the same stored action on all hosts again,
 * the failed ones only, another hostgroup or another search, with the hosts it would run on
 * previewed live (TargetPreview).
 */
export function ReplayModal({ job, onClose }: { job: JobStatus; onClose(): void }) {
  const [kind, setKind] = useState<Kind>('failed');
  const [hostgroupId, setHostgroupId] = useState('');
  const [search, setSearch] = useState(job.targeting.search ?? '');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const groups = useLoad(() => hostgroupChoices(), []);
  const { navigate } = useRouter();
  const notify = useNotify();

  const body: ReplayJobRequest = useMemo(() => {
    if (kind === 'all') return { hosts: 'all' };
    if (kind === 'failed') return { hosts: 'failed' };
    if (kind === 'hostgroup') return { targeting: { hostgroup_id: Number(hostgroupId) } };
    return { targeting: { search } };
  }, [kind, hostgroupId, search]);
  const invalid = (kind === 'hostgroup' && !hostgroupId) || (kind === 'search' && search.trim() === '');
  const preview: PreviewRequest | undefined = useMemo(() => (invalid ? undefined : { key: JSON.stringify(body), load: (signal) => previewReplay(job.id, body, signal) }), [invalid, body, job.id]);

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const replay = await replayJob(job.id, body);
      notify('success', `Rerun started as job ${replay.id}`);
      onClose();
      navigate(`/jobs/${replay.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <Modal isOpen onClose={onClose} variant="small" aria-labelledby="replay-title">
      <ModalHeader title={`Rerun ${job.namespace}.${job.action}`} labelId="replay-title" />
      <ModalBody>
        <Form id="replay-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
          <FormGroup role="radiogroup" fieldId="replay-kind" label="Run it on">
            <Radio id="replay-failed" name="replay-kind" label={`Failed hosts only (${job.counts.failed + job.counts.no_response})`} isChecked={kind === 'failed'} onChange={() => setKind('failed')} />
            <Radio id="replay-all" name="replay-kind" label={`All hosts of this job (${job.total_hosts})`} isChecked={kind === 'all'} onChange={() => setKind('all')} />
            <Radio id="replay-hostgroup" name="replay-kind" label="Another host group" isChecked={kind === 'hostgroup'} onChange={() => setKind('hostgroup')} />
            <Radio id="replay-search" name="replay-kind" label="Another search" isChecked={kind === 'search'} onChange={() => setKind('search')} />
          </FormGroup>
          {kind === 'hostgroup' && (
            <FormGroup label="Host group" fieldId="replay-hostgroup-id" isRequired>
              <FormSelect id="replay-hostgroup-id" value={hostgroupId} onChange={(_e, v) => setHostgroupId(v)} aria-label="Host group">
                <FormSelectOption value="" label="— choose a host group —" isPlaceholder />
                {(groups.data?.results ?? []).map((g) => <FormSelectOption key={g.id} value={String(g.id)} label={g.title} />)}
              </FormSelect>
            </FormGroup>
          )}
          {kind === 'search' && (
            <FormGroup label="Host search" fieldId="replay-search-text" isRequired>
              <TextInput id="replay-search-text" value={search} onChange={(_e, v) => setSearch(v)} />
            </FormGroup>
          )}
          <TargetPreview request={preview} />
          {error !== undefined && <Alert variant="danger" isInline title="The rerun was not started" role="alert">{errorMessage(error)}</Alert>}
          {groups.error !== undefined && <Alert variant="danger" isInline title="Cannot list host groups">{errorMessage(groups.error)}</Alert>}
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button type="submit" form="replay-form" isDisabled={invalid || busy} isLoading={busy}>Rerun</Button>
        <Button variant="link" onClick={onClose}>Cancel</Button>
      </ModalFooter>
    </Modal>
  );
}
