import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

/** An error answer of the API: the HTTP status and the body's `error` (code, message, field). */
export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public field?: string,
    public details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** Reads an error body: `{"error": {...}}` from the functions, `{"message"}` from the gateway. */
export function toApiError(status: number, body: unknown): ApiError {
  const b = (body ?? {}) as { error?: Record<string, unknown>; message?: string };
  if (b.error && typeof b.error === "object") {
    const { code, message, field, ...rest } = b.error;
    return new ApiError(status, String(code ?? status), String(message ?? ""), field ? String(field) : undefined, rest);
  }
  return new ApiError(status, status === 401 ? "unauthorized" : String(status), b.message ?? `HTTP ${status}`);
}

/** Called on any 401 (the token expired or was refused): the app signs in again. */
export type OnUnauthorized = () => void;

/** The typed client of the admin API (paths and shapes from openapi.json), sending the access token. */
export function makeClient(baseUrl: string, token: () => string | undefined, onUnauthorized: OnUnauthorized) {
  const client = createClient<paths>({ baseUrl });
  const auth: Middleware = {
    onRequest({ request }) {
      const t = token();
      if (t) request.headers.set("Authorization", `Bearer ${t}`);
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) onUnauthorized();
      return response;
    },
  };
  client.use(auth);
  return client;
}

export type Client = ReturnType<typeof makeClient>;

/** The data of an openapi-fetch answer, or its error as an [`ApiError`]. */
export async function unwrap<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await p;
  if (!response.ok || data === undefined) {
    if (response.ok && response.status === 204) return undefined as T;
    throw toApiError(response.status, error);
  }
  return data;
}
