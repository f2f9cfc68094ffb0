/** What the console reads at start from `/config.json` (written by `odt-local up` locally, at deploy time in AWS). */
export interface ConsoleConfig {
  /** The admin API's base URL. */
  apiUrl: string;
  /** The OIDC issuer the API's JWT authorizer trusts (`JwtIssuer`). */
  issuer: string;
  /** The console's OIDC client id (a SPA client with PKCE). */
  clientId: string;
  /** The access tokens' audience the API's authorizer requires (`JwtAudience`). */
  audience: string;
}

const KEYS: (keyof ConsoleConfig)[] = ["apiUrl", "issuer", "clientId", "audience"];

/** Checks the shape of `/config.json`; names the first missing or malformed key. */
export function parseConfig(value: unknown): ConsoleConfig {
  if (typeof value !== "object" || value === null) throw new Error("config.json is not a JSON object");
  const v = value as Record<string, unknown>;
  for (const k of KEYS) {
    if (typeof v[k] !== "string" || (v[k] as string).trim() === "") throw new Error(`config.json: ${k} is missing`);
  }
  for (const k of ["apiUrl", "issuer"] as const) {
    const u = new URL(v[k] as string);
    if (u.protocol !== "https:" && u.hostname !== "127.0.0.1" && u.hostname !== "localhost") {
      throw new Error(`config.json: ${k} must be an https URL`);
    }
  }
  return {
    apiUrl: (v.apiUrl as string).replace(/\/+$/, ""),
    issuer: (v.issuer as string).replace(/\/+$/, ""),
    clientId: v.clientId as string,
    audience: v.audience as string,
  };
}

/** Fetches and checks `/config.json`. */
export async function loadConfig(): Promise<ConsoleConfig> {
  const r = await fetch("/config.json", { cache: "no-store" });
  if (!r.ok) throw new Error(`config.json: ${r.status}`);
  return parseConfig(await r.json());
}
