import { Alert } from '@patternfly/react-core';
import { errorMessage } from './http';

/** Shows the API's message for a failed load or action; renders nothing without an error. */
export function ErrorAlert({ error, title = 'Request failed' }: { error: unknown; title?: string }) {
  if (error === undefined || error === null) return null;
  return (
    <Alert variant="danger" isInline title={title} role="alert" className="rex-error">
      {errorMessage(error)}
    </Alert>
  );
}
