import '@patternfly/react-core/dist/styles/base.css';
import './shared/rex.css';
import { createRoot } from 'react-dom/client';
import { App } from './App/App';

createRoot(document.getElementById('root') as HTMLElement).render(<App />);
