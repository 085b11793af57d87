import { Alert, AlertActionCloseButton, AlertGroup } from '@patternfly/react-core';
import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';

interface Toast {
  id: number;
  variant: 'success' | 'danger' | 'info' | 'warning';
  title: string;
  body?: ReactNode;
}

type Notify = (variant: Toast['variant'], title: string, body?: ReactNode) => void;
const NotifyContext = createContext<Notify>(() => undefined);

/** Toasts for the outcome of actions (run, cancel, delete): nothing succeeds or fails silently. */
export function NotificationsProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const remove = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  const notify = useCallback<Notify>((variant, title, body) => {
    const id = Date.now() + Math.random();
    setToasts((t) => [...t, { id, variant, title, body }]);
    if (variant !== 'danger') window.setTimeout(() => remove(id), 8000);
  }, [remove]);
  return (
    <NotifyContext.Provider value={notify}>
      {children}
      <AlertGroup isToast isLiveRegion>
        {toasts.map((t) => (
          <Alert key={t.id} variant={t.variant} title={t.title} actionClose={<AlertActionCloseButton onClose={() => remove(t.id)} />}>
            {t.body}
          </Alert>
        ))}
      </AlertGroup>
    </NotifyContext.Provider>
  );
}

export function useNotify(): Notify {
  return useContext(NotifyContext);
}
