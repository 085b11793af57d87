import { Alert, Button, Checkbox, Form, FormGroup, FormHelperText, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, Radio, TextInput } from '@patternfly/react-core';
import { useState } from 'react';
import type { Targeting } from '@common/jobs';
import { ApiError, errorMessage } from '../shared/http';
import { useNotify } from '../shared/Notifications';
import { useRouter } from '../shared/router';
import { runPuppet, runPuppetOnHost, type PuppetIfRunning, type PuppetRunArguments } from './api';

/** One host (the host page), or a targeting (the hosts list: a selection or a whole search). */
export type PuppetRunTarget = { hostId: number; label: string } | { targeting: Targeting; label: string };

/**
 * "Run Puppet": a puppet agent run now on the target (puppet#runonce, forced past splay), optionally
 * in no-op mode or limited to tags; a host already applying a catalog is skipped, or (the operator's
 * choice) waited for until that run ends. The job page follows the run; a refusal (403) or an invalid
 * input (422, shown under the field) shows the API's message here.
 */
export function PuppetRunModal({ target, onClose }: { target: PuppetRunTarget; onClose(): void }) {
  const { navigate } = useRouter();
  const notify = useNotify();
  const [noop, setNoop] = useState(false);
  const [tags, setTags] = useState('');
  const [ifRunning, setIfRunning] = useState<PuppetIfRunning>('skip');
  const [failure, setFailure] = useState<unknown>();
  const [fieldError, setFieldError] = useState<{ input: string; message: string }>();
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    const args: PuppetRunArguments = {};
    if (noop) args.noop = true;
    if (tags.trim()) args.tags = tags.trim();
    setBusy(true);
    setFailure(undefined);
    setFieldError(undefined);
    try {
      const job = 'hostId' in target ? await runPuppetOnHost(target.hostId, args, ifRunning) : await runPuppet(target.targeting, args, ifRunning);
      notify('success', `Puppet run started as job ${job.id}`, `${job.total_hosts} host(s)`);
      onClose();
      navigate(`/jobs/${job.id}`);
    } catch (error) {
      const input = error instanceof ApiError ? (error.details?.input as string | undefined) : undefined;
      if (input === 'tags' || input === 'noop' || input === 'if_running') setFieldError({ input, message: errorMessage(error) });
      setFailure(error);
      setBusy(false);
    }
  };

  const errorOf = (input: string) => (fieldError?.input === input ? fieldError.message : undefined);
  return (
    <Modal isOpen onClose={onClose} variant="small" aria-labelledby="puppet-run-title" position="top">
      <ModalHeader title="Run Puppet" labelId="puppet-run-title" description={`Target: ${target.label}`} />
      <ModalBody>
        <Form id="puppet-run-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
          <FormGroup fieldId="puppet-run-noop">
            <Checkbox id="puppet-run-noop" label="No-op" description="Report what would change without changing anything (puppet agent --noop)." isChecked={noop} onChange={(_e, v) => setNoop(v)} />
            {errorOf('noop') && <FormHelperText><HelperText><HelperTextItem variant="error">{errorOf('noop')}</HelperTextItem></HelperText></FormHelperText>}
          </FormGroup>
          <FormGroup label="Tags" fieldId="puppet-run-tags">
            <TextInput id="puppet-run-tags" value={tags} onChange={(_e, v) => setTags(v)} validated={errorOf('tags') ? 'error' : 'default'} aria-describedby="puppet-run-tags-helper" />
            <FormHelperText>
              <HelperText id="puppet-run-tags-helper">
                {errorOf('tags') ? <HelperTextItem variant="error">{errorOf('tags')}</HelperTextItem> : <HelperTextItem>Only apply resources with these tags or classes, comma separated (puppet agent --tags); empty applies the whole catalog.</HelperTextItem>}
              </HelperText>
            </FormHelperText>
          </FormGroup>
          <FormGroup role="radiogroup" isStack fieldId="puppet-run-if-running" label="If Puppet is already running on a host">
            <Radio id="puppet-run-if-running-skip" name="puppet-run-if-running" label="Skip the host" description="It ends failed: already applying a catalog, not started." isChecked={ifRunning === 'skip'} onChange={() => setIfRunning('skip')} />
            <Radio id="puppet-run-if-running-wait" name="puppet-run-if-running" label="Wait for that run to end, then run" description="Within the job's timeout (30 minutes unless set through the API)." isChecked={ifRunning === 'wait'} onChange={() => setIfRunning('wait')} />
            {errorOf('if_running') && <FormHelperText><HelperText><HelperTextItem variant="error">{errorOf('if_running')}</HelperTextItem></HelperText></FormHelperText>}
          </FormGroup>
          {failure !== undefined && (
            <Alert variant="danger" isInline title="Puppet was not run" role="alert" className="rex-error">
              {errorMessage(failure)}
            </Alert>
          )}
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" type="submit" form="puppet-run-form" isDisabled={busy} isLoading={busy}>Run Puppet</Button>
        <Button variant="link" onClick={onClose}>Cancel</Button>
      </ModalFooter>
    </Modal>
  );
}
