import { Alert, Button, Modal, ModalBody, ModalFooter, ModalHeader } from '@patternfly/react-core';
import { useId, useState, type ReactNode } from 'react';
import { errorMessage } from './http';

/**
 * Asks before a destructive action (delete, revoke, cancel). The action runs from here: while it
 * runs the button waits, and when the API refuses (a 403, a 409) its message stays in the dialog.
 */
export function ConfirmModal(props: { title: string; confirm: string; children: ReactNode; onConfirm(): Promise<unknown>; onClose(): void; onDone?(): void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const titleId = useId();
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm();
      props.onDone?.();
      props.onClose();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Modal isOpen variant="small" onClose={props.onClose} aria-labelledby={titleId}>
      <ModalHeader title={props.title} labelId={titleId} titleIconVariant="warning" />
      <ModalBody>
        {props.children}
        {error !== undefined && <Alert variant="danger" isInline title="Refused" role="alert" className="rex-section-title">{errorMessage(error)}</Alert>}
      </ModalBody>
      <ModalFooter>
        <Button variant="danger" onClick={() => void run()} isDisabled={busy} isLoading={busy}>{props.confirm}</Button>
        <Button variant="link" onClick={props.onClose}>Keep it</Button>
      </ModalFooter>
    </Modal>
  );
}
