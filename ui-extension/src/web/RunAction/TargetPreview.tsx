import { Alert, Content, List, ListItem, Spinner } from '@patternfly/react-core';
import { useEffect, useState } from 'react';
import type { JobPreview } from '@common/job-preview';
import { ApiError, errorMessage } from '../shared/http';

/** One preview to ask: `key` changes exactly when the request does (the body's JSON). */
export interface PreviewRequest {
  key: string;
  load(signal: AbortSignal): Promise<JobPreview>;
}

/** How long the target must stay unchanged before it is previewed: one request per pause in typing. */
export const PREVIEW_DEBOUNCE_MS = 400;

type State = { kind: 'idle' } | { kind: 'loading' } | { kind: 'ready'; preview: JobPreview } | { kind: 'error'; error: unknown };

/**
 * The live preview of a run (POST /remote_execution/jobs/preview): "24 hosts on 2 smart proxies
 * will run; 3 skipped: host has no smart proxy", the hosts per proxy and the first host names,
 * asked again a moment after the target, the action or the arguments change. `request` is
 * undefined until there is something to preview (an action chosen). A targeting that matches
 * nothing is said before Run is pressed. The run form previews a job, the Rerun dialog a replay.
 */
export function TargetPreview(props: { request: PreviewRequest | undefined }) {
  const [state, setState] = useState<State>({ kind: 'idle' });
  const key = props.request?.key ?? '';

  useEffect(() => {
    if (!props.request) {
      setState({ kind: 'idle' });
      return undefined;
    }
    const request = props.request;
    const controller = new AbortController();
    setState({ kind: 'loading' });
    const timer = setTimeout(() => {
      request.load(controller.signal).then(
        (preview) => setState({ kind: 'ready', preview }),
        (error: unknown) => {
          if (!controller.signal.aborted) setState({ kind: 'error', error });
        },
      );
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
    // The request's key is the dependency: a new object with the same content asks nothing again.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  if (state.kind === 'idle') return null;
  if (state.kind === 'loading') {
    return <Content component="p" data-testid="run-preview" data-state="loading"><Spinner size="sm" aria-label="Previewing the target" /> Previewing the target…</Content>;
  }
  if (state.kind === 'error') {
    // An argument the DDL refuses is shown under its field on Run; here it only holds the preview back.
    const input = state.error instanceof ApiError ? (state.error.details?.input as string | undefined) : undefined;
    return (
      <Alert variant={input ? 'info' : 'warning'} isInline isPlain title={input ? 'Preview waits for valid arguments' : 'Cannot preview the target'} data-testid="run-preview" data-state="error">
        {errorMessage(state.error)}
      </Alert>
    );
  }
  const p = state.preview;
  const empty = p.total_hosts === 0;
  return (
    <Alert variant={empty ? 'danger' : p.skipped > 0 ? 'warning' : 'info'} isInline title={p.summary} data-testid="run-preview" data-state={empty ? 'empty' : 'ready'} data-will-run={p.will_run} data-skipped={p.skipped}>
      {empty ? (
        <Content component="p">Running it would be refused: check the search, the host group or the hosts you chose.</Content>
      ) : (
        <>
          <List isPlain>
            {p.smart_proxies.map((proxy) => <ListItem key={proxy.id}>{proxy.name}: {proxy.hosts} host{proxy.hosts === 1 ? '' : 's'}</ListItem>)}
            {p.skipped_reasons.map((r) => <ListItem key={r.reason}>skipped, {r.reason}: {r.host_names.join(', ')}{r.hosts > r.host_names.length ? ', …' : ''}</ListItem>)}
          </List>
          <Content component="small">
            {p.hosts.results.map((h) => h.name).join(', ')}
            {p.hosts.total > p.hosts.results.length ? ` and ${p.hosts.total - p.hosts.results.length} more` : ''}
          </Content>
        </>
      )}
    </Alert>
  );
}
