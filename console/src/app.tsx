import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { onSessionChange, session, signIn, SignInError, signOut, type Session } from './session.js';
import { scraper } from './scraper.js';
import { Field } from './ui.js';
import { Overview } from './pages/overview.js';
import { Clients } from './pages/clients.js';
import { Users } from './pages/users.js';
import { Organizations } from './pages/organizations.js';
import { IdentityProviders } from './pages/identity-providers.js';
import { Keys } from './pages/keys.js';
import { Sessions } from './pages/sessions.js';
import { Events } from './pages/events.js';
import { Inspector } from './pages/inspector.js';

const PAGES = [
  { path: 'overview', title: 'Overview', Page: Overview },
  { path: 'clients', title: 'Clients', Page: Clients },
  { path: 'users', title: 'Users', Page: Users },
  { path: 'organizations', title: 'Organizations', Page: Organizations },
  { path: 'identity-providers', title: 'Identity providers', Page: IdentityProviders },
  { path: 'keys', title: 'Signing keys', Page: Keys },
  { path: 'sessions', title: 'Sessions', Page: Sessions },
  { path: 'events', title: 'Events', Page: Events },
  { path: 'inspector', title: 'Token inspector', Page: Inspector },
] as const;

const routeOf = (): string => location.hash.replace(/^#\/?/, '') || 'overview';

function SignIn({ reason }: { reason: string | undefined }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main class="signin" id="main">
      <form aria-labelledby="signin-title" onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
          await signIn(username.trim(), password);
        } catch (err) {
          setError(err instanceof SignInError ? err.message : 'Sign-in failed.');
        } finally {
          setBusy(false);
          setPassword('');
        }
      }}>
        <h1 id="signin-title">Tessera console</h1>
        <p class="muted">Sign in with an operator account (scope tessera:admin, or tessera:admin:read for read-only).</p>
        {reason && <p class="notice" role="status">{reason}</p>}
        <Field label="Username" name="username" autoComplete="username" required value={username} onInput={setUsername} />
        <Field label="Password" name="password" type="password" autoComplete="current-password" required value={password} onInput={setPassword} error={error ?? undefined} />
        <button type="submit" class="primary" disabled={busy}>{busy ? 'Signing in…' : 'Sign in'}</button>
      </form>
    </main>
  );
}

function Shell({ who }: { who: Session }) {
  const [route, setRoute] = useState(routeOf());
  const main = useRef<HTMLElement>(null);
  useEffect(() => {
    const on = () => {
      setRoute(routeOf());
      // Focus moves to the new page's content, so keyboard and screen-reader users land where it changed.
      main.current?.focus({ preventScroll: true });
      scrollTo(0, 0);
    };
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  const page = PAGES.find((p) => p.path === route) ?? PAGES[0];
  useEffect(() => {
    document.title = `${page.title} · Tessera console`;
  }, [page]);
  return (
    <>
      <a class="skip" href="#main-content" onClick={(e) => { e.preventDefault(); main.current?.focus(); }}>Skip to content</a>
      <header class="top">
        <span class="brand">Tessera</span>
        <span class="who">
          <span data-testid="who">{who.username}</span> <span class={`badge ${who.write ? 'rw' : 'ro'}`} data-testid="role">{who.write ? 'admin' : 'read-only'}</span>
        </span>
        <button type="button" data-testid="sign-out" onClick={() => void signOut()}>Sign out</button>
      </header>
      <nav aria-label="Pages">
        <ul>
          {PAGES.map((p) => (
            <li><a href={`#/${p.path}`} aria-current={p.path === page.path ? 'page' : undefined}>{p.title}</a></li>
          ))}
        </ul>
      </nav>
      <main id="main-content" ref={main} tabIndex={-1}>
        <h1 class="sr-only">{page.title}</h1>
        <page.Page />
      </main>
    </>
  );
}

function App() {
  const [state, setState] = useState<{ who: Session | null; reason?: string }>({ who: session() });
  useEffect(() => onSessionChange((who, reason) => {
    if (who) scraper.start();
    else scraper.stop();
    setState({ who, ...(reason ? { reason } : {}) });
  }), []);
  return state.who ? <Shell who={state.who} /> : <SignIn reason={state.reason} />;
}

const root = document.getElementById('app');
if (root) render(<App />, root);
