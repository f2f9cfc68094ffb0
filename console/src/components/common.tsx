import { useCallback, useEffect, useState } from "react";
import Alert from "@cloudscape-design/components/alert";
import Button from "@cloudscape-design/components/button";
import { ApiError } from "../api/client";

/** A value loaded from the API, with its error and a way to load it again. */
export interface Loaded<T> {
  data?: T;
  error?: ApiError | Error;
  loading: boolean;
  reload: () => void;
}

/** Loads `fn()` now and whenever `deps` change. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, loading: false }),
      (error: Error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, n]);
  const reload = useCallback(() => setN((x) => x + 1), []);
  return { ...state, reload };
}

/** The 409 codes that mean another request changed what this page shows (reloading helps); every other 409
 * says why the action is not possible now, in its own message. */
const CHANGED_MEANWHILE = new Set(["version_conflict", "org_changed"]);

/** Whether `error` says someone changed the record meanwhile (a reload shows the current values). */
export function changedMeanwhile(error: Error | undefined): boolean {
  return error instanceof ApiError && error.status === 409 && CHANGED_MEANWHILE.has(error.code);
}

/** An API error as a banner with its code and message; a conflict with another change offers to reload. */
export function ErrorAlert({ error, onReload }: { error?: Error; onReload?: () => void }) {
  if (!error) return null;
  const api = error instanceof ApiError ? error : undefined;
  const conflict = changedMeanwhile(error);
  return (
    <Alert
      type="error"
      header={api ? `${api.code} (${api.status})` : "Error"}
      action={conflict && onReload ? <Button onClick={onReload}>Reload</Button> : undefined}
    >
      {error.message}
      {conflict && " Someone changed this meanwhile: reload to see the current values, then apply your change again."}
    </Alert>
  );
}

/** The message for a form field when `error` names it (the API's `error.field`, or a field under it). */
export function fieldError(error: Error | undefined, field: string): string | undefined {
  if (!(error instanceof ApiError) || !error.field) return undefined;
  const f = error.field;
  return f === field || f.startsWith(field + ".") || f.startsWith(field + "[") ? error.message : undefined;
}

/** An error not shown next to any of `fields`: shown in a banner instead. */
export function bannerError(error: Error | undefined, fields: string[]): Error | undefined {
  if (!error) return undefined;
  return fields.some((f) => fieldError(error, f)) ? undefined : error;
}

/** Formats an RFC 3339 time for people. */
export function when(t: string | null | undefined): string {
  return t ? new Date(t).toLocaleString() : "—";
}

/** An action's state: busy while it runs, its error, and `run` to start it (the error cleared first). */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const run = useCallback(async (f: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await f();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run, setError };
}
