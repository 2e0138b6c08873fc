import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { takeTokenFromFragment } from './lib/auth';
import './styles.css';

// The lab's one-click link brings the token in the fragment: take it before anything renders.
takeTokenFromFragment();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
