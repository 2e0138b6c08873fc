/** Paste a token; it stays in this tab (sessionStorage) until sign-out. */
import { useState } from 'react';

export function SignIn({ notice, onToken }: { notice: string | null; onToken: (t: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <div className="signin">
      <form
        className="signin-card"
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) onToken(value.trim());
        }}
      >
        <div className="brand big">
          <span className="logo" aria-hidden="true" />
          Operations Center
        </div>
        <p className="muted">Sign in with an API token. It is kept in this browser tab only, until you sign out or close it.</p>
        {notice && (
          <div className="note error" role="alert">
            {notice}
          </div>
        )}
        <label htmlFor="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          spellCheck={false}
          // biome-ignore lint/a11y/noAutofocus: the only field of the page
          autoFocus
          value={value}
          onChange={(e) => setValue(e.target.value)}
          placeholder="Paste the token"
        />
        <button type="submit" className="primary" disabled={!value.trim()}>
          Sign in
        </button>
        <p className="muted small">
          An admin creates tokens under Tokens, or with <code>createApiToken</code>. <code>npm run lab</code> prints a link that signs you in.
        </p>
      </form>
    </div>
  );
}
