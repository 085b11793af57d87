import {
  ActionGroup, Alert, Button, Content, Form, FormGroup, FormHelperText, FormSelect, FormSelectOption, HelperText, HelperTextItem, Modal, ModalBody, ModalFooter, ModalHeader, Radio, TextInput,
} from '@patternfly/react-core';
import { useEffect, useMemo, useState } from 'react';
import type { Namespace, Targeting } from '@common/jobs';
import type { DdlInputDto } from '@common/inventory';
import { ApiError, errorMessage } from '../shared/http';
import { formatValue, toLocalInput } from '../shared/format';
import { useLoad } from '../shared/hooks';
import { useNotify } from '../shared/Notifications';
import { useRouter } from '../shared/router';
import { actionHistory, createJob, namespaces, previewJob, type CreateJobBody } from './api';
import { DdlForm } from './DdlForm';
import { TargetPreview, type PreviewRequest } from './TargetPreview';
import { TASKS_NAMESPACE } from './task-metadata';
import { TaskMetadataView } from './TaskMetadataView';
import { initialValues, toArguments, type DdlValues } from './ddl-values';

export interface RunActionPreset {
  namespace?: string;
  action?: string;
  arguments?: Record<string, unknown>;
  description?: string;
  /** Open on the Schedule tab (Schedule again). */
  schedule?: boolean;
}

type When = 'now' | 'at' | 'cron';

function timeZones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  return intl.supportedValuesOf?.('timeZone') ?? ['UTC'];
}

/**
 * The Remote management flow: the namespaces the user may use, the action, a form generated from
 * the DDL, optionally arguments reloaded from this action's history, then Run now or Schedule
 * (a date and time, or a cron line in a time zone). The API's message is shown on failure; a 422
 * naming an input is shown under that input. A search target can be edited here, and the hosts it
 * would run on are previewed live (TargetPreview) before Run is pressed.
 */
export function RunActionModal(props: { targeting: Targeting; targetLabel: string; smartProxyId?: number; preset?: RunActionPreset; onClose(): void }) {
  const { navigate } = useRouter();
  const notify = useNotify();
  const catalog = useLoad(() => namespaces(props.smartProxyId), [props.smartProxyId]);
  const [namespace, setNamespace] = useState(props.preset?.namespace ?? '');
  const [action, setAction] = useState(props.preset?.action ?? '');
  const [values, setValues] = useState<DdlValues>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [description, setDescription] = useState(props.preset?.description ?? '');
  const [timeout, setTimeoutText] = useState('');
  const [when, setWhen] = useState<When>(props.preset?.schedule ? 'at' : 'now');
  const [startAt, setStartAt] = useState(() => toLocalInput(new Date(Date.now() + 3600_000)));
  const [cronLine, setCronLine] = useState('0 3 * * *');
  const [timeZone, setTimeZone] = useState(() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
  const [maxIterations, setMaxIterations] = useState('');
  const [targetSearch, setTargetSearch] = useState(props.targeting.search ?? '');
  const targeting: Targeting = useMemo(() => (props.targeting.search !== undefined ? { search: targetSearch } : props.targeting), [props.targeting, targetSearch]);
  const [historySearch, setHistorySearch] = useState('');
  const [historyChoice, setHistoryChoice] = useState('');

  const ns: Namespace | undefined = catalog.data?.results.find((n) => n.name === namespace);
  const act = ns?.actions.find((a) => a.name === action);
  const inputs = useMemo(() => (act?.inputs ?? []) as DdlInputDto[], [act]);
  const history = useLoad(async () => (namespace && action ? actionHistory(namespace, action, historySearch) : undefined), [namespace, action, historySearch]);

  useEffect(() => {
    setValues(initialValues(inputs, namespace === props.preset?.namespace && action === props.preset?.action ? props.preset?.arguments : undefined));
    setErrors({});
    setHistoryChoice('');
  }, [inputs, namespace, action, props.preset]);
  useEffect(() => setHistorySearch(''), [namespace, action]);

  const preview: PreviewRequest | undefined = useMemo(() => {
    if (!act) return undefined;
    const body: CreateJobBody = { namespace, action, arguments: toArguments(inputs, values).args, targeting };
    return { key: JSON.stringify(body), load: (signal) => previewJob(body, signal) };
  }, [act, namespace, action, inputs, values, targeting]);

  const submit = async () => {
    setFailure(undefined);
    const { args, problems } = toArguments(inputs, values);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    const job: CreateJobBody = { namespace, action, arguments: args, targeting };
    if (description.trim()) job.description = description.trim();
    if (timeout.trim()) job.timeout = Number(timeout);
    if (when === 'at') job.scheduling = { start_at: new Date(startAt).toISOString() };
    if (when === 'cron') job.recurrence = { cron_line: cronLine.trim(), time_zone: timeZone, ...(maxIterations.trim() ? { max_iterations: Number(maxIterations) } : {}) };
    setBusy(true);
    try {
      const created = await createJob(job);
      if (when === 'now') {
        notify('success', `Job ${created.id} started`, `${namespace}.${action} on ${created.total_hosts} host(s)`);
        props.onClose();
        navigate(`/jobs/${created.id}`);
      } else {
        notify('success', `${namespace}.${action} scheduled`, created.schedule_id ? `schedule ${created.schedule_id}` : undefined);
        props.onClose();
        navigate('/schedules');
      }
    } catch (error) {
      const input = error instanceof ApiError ? (error.details?.input as string | undefined) : undefined;
      if (input && inputs.some((i) => i.name === input)) setErrors({ [input]: errorMessage(error) });
      setFailure(error);
      setBusy(false);
    }
  };

  const noNamespaces = catalog.data && catalog.data.results.length === 0;

  return (
    <Modal isOpen onClose={props.onClose} variant="medium" aria-labelledby="run-action-title" position="top">
      <ModalHeader title="Run remote action" labelId="run-action-title" description={props.targeting.search !== undefined && targetSearch !== props.targeting.search ? `Target: hosts matching "${targetSearch || 'everything'}"` : `Target: ${props.targetLabel}`} />
      <ModalBody>
        {catalog.error !== undefined && <Alert variant="danger" isInline title="Cannot list the namespaces">{errorMessage(catalog.error)}</Alert>}
        {noNamespaces && <Alert variant="warning" isInline title="No namespaces">No reachable smart proxy offers a namespace you may use.</Alert>}
        <Form id="run-action-form" onSubmit={(e) => { e.preventDefault(); void submit(); }}>
          {props.targeting.search !== undefined && (
            <FormGroup label="Target hosts (search)" fieldId="run-target-search">
              <TextInput id="run-target-search" value={targetSearch} onChange={(_e, v) => setTargetSearch(v)} placeholder="every host you may run on" />
              <FormHelperText><HelperText><HelperTextItem>A host search, e.g. hostgroup_title = base/web; the preview below follows it</HelperTextItem></HelperText></FormHelperText>
            </FormGroup>
          )}
          <FormGroup label="Namespace" isRequired fieldId="run-namespace">
            <FormSelect id="run-namespace" value={namespace} onChange={(_e, v) => { setNamespace(v); setAction(''); }} aria-label="Namespace">
              <FormSelectOption value="" label={catalog.loading ? 'Loading…' : '— choose a namespace —'} isPlaceholder />
              {(catalog.data?.results ?? []).map((n) => <FormSelectOption key={n.name} value={n.name} label={`${n.name}${n.description ? ` — ${n.description}` : ''}`} />)}
            </FormSelect>
          </FormGroup>
          {ns && (
            <FormGroup label="Action" isRequired fieldId="run-action">
              <FormSelect id="run-action" value={action} onChange={(_e, v) => setAction(v)} aria-label="Action">
                <FormSelectOption value="" label="— choose an action —" isPlaceholder />
                {ns.actions.map((a) => <FormSelectOption key={a.name} value={a.name} label={`${a.name}${a.description ? ` — ${a.description}` : ''}`} />)}
              </FormSelect>
            </FormGroup>
          )}
          {/* Right under the target and the action, so it is seen before the form is scrolled to Run. */}
          <TargetPreview request={preview} />
          {act && (
            <>
              {namespace === TASKS_NAMESPACE ? <TaskMetadataView action={act} /> : act.description && <Content component="p">{act.description}</Content>}
              <DdlForm inputs={inputs} values={values} errors={errors} onChange={setValues} />
              {history.error !== undefined && <Alert variant="warning" isInline title="Cannot reload arguments from history">{errorMessage(history.error)}</Alert>}
              {(history.data?.total ?? 0) > 0 && (
                <FormGroup label="Arguments from history" fieldId="run-history">
                  <TextInput id="run-history-search" type="search" aria-label="Search arguments from history" placeholder="search, e.g. nginx or arguments ~ nginx" value={historySearch} onChange={(_e, v) => setHistorySearch(v)} />
                  <FormSelect
                    id="run-history"
                    aria-label="Arguments from history"
                    value={historyChoice}
                    onChange={(_e, v) => {
                      setHistoryChoice(v);
                      const chosen = history.data?.results.find((h) => String(h.remote_action_id) === v);
                      if (!chosen) return;
                      // Sensitive values were never stored: those inputs stay empty, to be given again.
                      const args = Object.fromEntries(Object.entries(chosen.arguments).filter(([k]) => !chosen.masked.includes(k)));
                      setValues(initialValues(inputs, args));
                    }}
                  >
                    <FormSelectOption value="" label={`— ${history.data?.subtotal ?? 0} earlier argument set(s), newest first —`} isPlaceholder />
                    {(history.data?.results ?? []).map((h) => (
                      <FormSelectOption key={h.remote_action_id} value={String(h.remote_action_id)} label={`${Object.keys(h.arguments).length === 0 ? '(no arguments)' : Object.entries(h.arguments).map(([k, v]) => `${k}=${formatValue(v)}`).join(', ')} · ran ${h.run_count}×, last ${new Date(h.last_run_at).toLocaleString()}`} />
                    ))}
                  </FormSelect>
                </FormGroup>
              )}
              <FormGroup label="When" role="radiogroup" isInline fieldId="run-when">
                <Radio id="run-when-now" name="run-when" label="Run now" isChecked={when === 'now'} onChange={() => setWhen('now')} />
                <Radio id="run-when-at" name="run-when" label="Schedule at a date and time" isChecked={when === 'at'} onChange={() => setWhen('at')} />
                <Radio id="run-when-cron" name="run-when" label="Recurring (cron)" isChecked={when === 'cron'} onChange={() => setWhen('cron')} />
              </FormGroup>
              {when === 'at' && (
                <FormGroup label="Start at" isRequired fieldId="run-start-at">
                  <TextInput id="run-start-at" type="datetime-local" value={startAt} onChange={(_e, v) => setStartAt(v)} />
                </FormGroup>
              )}
              {when === 'cron' && (
                <>
                  <FormGroup label="Cron line" isRequired fieldId="run-cron">
                    <TextInput id="run-cron" value={cronLine} onChange={(_e, v) => setCronLine(v)} />
                    <FormHelperText><HelperText><HelperTextItem>minute hour day-of-month month day-of-week, e.g. 0 3 * * 1-5</HelperTextItem></HelperText></FormHelperText>
                  </FormGroup>
                  <FormGroup label="Time zone" isRequired fieldId="run-tz">
                    <FormSelect id="run-tz" value={timeZone} onChange={(_e, v) => setTimeZone(v)} aria-label="Time zone">
                      {timeZones().map((z) => <FormSelectOption key={z} value={z} label={z} />)}
                    </FormSelect>
                  </FormGroup>
                  <FormGroup label="Maximum runs" fieldId="run-max">
                    <TextInput id="run-max" inputMode="numeric" value={maxIterations} onChange={(_e, v) => setMaxIterations(v)} placeholder="unlimited" />
                  </FormGroup>
                </>
              )}
              <FormGroup label="Description" fieldId="run-description">
                <TextInput id="run-description" value={description} onChange={(_e, v) => setDescription(v)} placeholder={`${namespace}.${action}`} />
              </FormGroup>
              <FormGroup label="Timeout (seconds per host)" fieldId="run-timeout">
                <TextInput id="run-timeout" inputMode="numeric" value={timeout} onChange={(_e, v) => setTimeoutText(v)} placeholder="server default" />
              </FormGroup>
            </>
          )}
          {failure !== undefined && (
            <Alert variant="danger" isInline title="The action was not run" role="alert" className="rex-error">
              {errorMessage(failure)}
            </Alert>
          )}
          <ActionGroup style={{ display: 'none' }} />
        </Form>
      </ModalBody>
      <ModalFooter>
        <Button variant="primary" type="submit" form="run-action-form" isDisabled={!act || busy} isLoading={busy}>
          {when === 'now' ? 'Run now' : 'Schedule'}
        </Button>
        <Button variant="link" onClick={props.onClose}>Cancel</Button>
      </ModalFooter>
    </Modal>
  );
}
