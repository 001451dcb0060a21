import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';

/** A loaded value: loading, its error, and a reload. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): { data: T | undefined; error: ApiError | Error | undefined; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | undefined; error: ApiError | Error | undefined; loading: boolean }>({ data: undefined, error: undefined, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: undefined, loading: false }),
      (error: Error) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: useCallback(() => setTick((t) => t + 1), []) };
}

export const Loading = ({ what }: { what: string }) => (
  <p class="muted" role="status" aria-live="polite">
    Loading {what}…
  </p>
);

export const Empty = ({ children }: { children: ComponentChildren }) => <p class="empty">{children}</p>;

/** An error that concerns no single field (or the whole request), announced to screen readers. */
export function Alert({ error }: { error: Error | string | undefined | null }) {
  if (!error) return null;
  const message = typeof error === 'string' ? error : error.message;
  const rest = error instanceof ApiError ? error.errors.filter((e) => e.path === '') : [];
  return (
    <div class="alert" role="alert">
      {message}
      {rest.map((e) => (
        <div>{e.message}</div>
      ))}
    </div>
  );
}

let ids = 0;
const useId = (): string => useRef(`f${++ids}`).current;

export interface FieldProps {
  label: string;
  value: string;
  onInput: (v: string) => void;
  /** The problem of this field from the last answer (ApiError.field). */
  error?: string | undefined;
  hint?: string;
  type?: string;
  name?: string;
  required?: boolean;
  autoComplete?: string;
  multiline?: boolean;
  options?: string[];
}

/** A labelled input with its hint and, next to it, the server's message for it (aria-invalid, aria-describedby). */
export function Field(p: FieldProps) {
  const id = useId();
  const describedBy = [p.hint ? `${id}-hint` : '', p.error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  const common = { id, name: p.name ?? id, value: p.value, 'aria-invalid': p.error ? true : undefined, 'aria-describedby': describedBy, required: p.required };
  return (
    <div class={`field${p.error ? ' invalid' : ''}`}>
      <label for={id}>{p.label}</label>
      {p.options ? (
        <select {...common} onChange={(e) => p.onInput((e.target as HTMLSelectElement).value)}>
          {p.options.map((o) => (
            <option value={o}>{o === '' ? '(any)' : o}</option>
          ))}
        </select>
      ) : p.multiline ? (
        <textarea {...common} rows={6} onInput={(e) => p.onInput((e.target as HTMLTextAreaElement).value)} />
      ) : (
        <input {...common} type={p.type ?? 'text'} autoComplete={p.autoComplete ?? 'off'} onInput={(e) => p.onInput((e.target as HTMLInputElement).value)} />
      )}
      {p.hint && (
        <small id={`${id}-hint`} class="hint">
          {p.hint}
        </small>
      )}
      {p.error && (
        <small id={`${id}-error`} class="error">
          {p.error}
        </small>
      )}
    </div>
  );
}

/**
 * A destructive action behind a confirmation: a native modal <dialog> (focus moves into it, Escape cancels,
 * the page behind is inert), with the action's consequence spelled out.
 */
export function ConfirmButton(p: { label: string; title: string; message: string; confirm: string; onConfirm: () => Promise<unknown> | void; danger?: boolean; testId?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await p.onConfirm();
      ref.current?.close();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class={p.danger === false ? '' : 'danger'} data-testid={p.testId} onClick={() => ref.current?.showModal()}>
        {p.label}
      </button>
      <dialog ref={ref} aria-labelledby={`${p.testId ?? 'confirm'}-title`}>
        <h2 id={`${p.testId ?? 'confirm'}-title`}>{p.title}</h2>
        <p>{p.message}</p>
        <Alert error={error} />
        <div class="actions">
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="button" class="danger" disabled={busy} data-testid="confirm" onClick={() => void run()}>
            {busy ? 'Working…' : p.confirm}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** A secret shown once, with a copy button (the Clipboard API; the text stays selectable when it is not allowed). */
export function OnceSecret({ label, value, testId }: { label: string; value: string; testId: string }) {
  const [copied, setCopied] = useState('');
  return (
    <div class="secret" role="status">
      <p>
        <strong>{label}</strong> It is shown only now: copy it and store it safely.
      </p>
      <code data-testid={testId}>{value}</code>
      <button
        type="button"
        onClick={() =>
          navigator.clipboard.writeText(value).then(
            () => setCopied('Copied.'),
            () => setCopied('Copying is not allowed here: select the text and copy it.'),
          )
        }
      >
        Copy
      </button>
      <span aria-live="polite">{copied}</span>
    </div>
  );
}

export function Section({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  return (
    <section class="card">
      <div class="card-head">
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** A form that reports its answer's problems: `run` throws an ApiError whose errors[] are shown by path. */
export function useForm<T extends Record<string, string>>(initial: T) {
  const [values, setValues] = useState<T>(initial);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof T) => (v: string) => setValues((s) => ({ ...s, [k]: v }));
  const fieldError = (path: string): string | undefined => (error instanceof ApiError ? error.field(path) : undefined);
  const submit = (run: (v: T) => Promise<unknown>) => async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await run(values);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  /** The error for the alert above the form: set unless every problem has a field shown. */
  const formError = (shown: string[]): Error | null => (error instanceof ApiError && error.errors.length > 0 && error.errors.every((p) => shown.some((s) => p.path === s || p.path.startsWith(s + '.') || p.path.startsWith(s + '['))) ? null : error);
  return { values, setValues, set, error, fieldError, formError, submit, busy, reset: () => setValues(initial) };
}

export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '—');
export const words = (s: string): string[] => s.split(/[\s,]+/).filter(Boolean);
