import { WebStorageStateStore, type UserManagerSettings } from "oidc-client-ts";
import type { ConsoleConfig } from "./config";

/** The path the issuer redirects back to after sign-in. */
export const CALLBACK_PATH = "/callback";

/**
 * OIDC settings: authorization code with PKCE (S256), tokens and sign-in state in session storage (never local
 * storage), no silent renewal (an expired token means signing in again).
 */
export function oidcSettings(c: ConsoleConfig): UserManagerSettings {
  const origin = window.location.origin;
  return {
    authority: c.issuer,
    client_id: c.clientId,
    redirect_uri: origin + CALLBACK_PATH,
    post_logout_redirect_uri: origin + "/",
    response_type: "code",
    scope: "openid profile",
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
    stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
    automaticSilentRenew: false,
    loadUserInfo: false,
  };
}

/** The role and tenant a token carries (the claims the API reads: `role`, `tenant_id`). */
export interface Caller {
  role: "admin" | "technician" | "unknown";
  tenant: string;
}

/** Reads the claims of a JWT's payload (no verification: the API verifies). */
export function claimsOf(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1] ?? "";
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The caller an access token names. */
export function callerOf(accessToken: string): Caller {
  const c = claimsOf(accessToken);
  const role = c.role === "admin" || c.role === "technician" ? c.role : "unknown";
  return { role, tenant: typeof c.tenant_id === "string" ? c.tenant_id : "" };
}

/** Whether the token's `aud` includes the audience the API requires. */
export function hasAudience(accessToken: string, audience: string): boolean {
  const aud = claimsOf(accessToken).aud;
  return aud === audience || (Array.isArray(aud) && aud.includes(audience));
}
