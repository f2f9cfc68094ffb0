import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

/** What `odt-local up` wrote about the running stack (front.json). */
export interface StackInfo {
  baseUrl: string;
  consoleUrl: string;
  issuer: string;
  oktaDomain: string;
  clientId: string;
  clientSecret: string;
  hexnodePortal: string;
  hexnodeApiKey: string;
}

export const stack: StackInfo = JSON.parse(readFileSync(process.env.ODT_FRONT_JSON ?? "", "utf8"));

/** A fresh tenant id for one test (tenants never see each other's data). */
export function newTenant(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString("hex")}`;
}

const b64url = (b: Buffer) => b.toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** An access token from the local OIDC provider, through its own code + PKCE flow (as the console gets one). */
export async function tokenFor(tenant: string, role: "admin" | "technician", ttl = 3600): Promise<string> {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash("sha256").update(verifier).digest());
  const redirect = new URL("/callback", stack.consoleUrl).toString();
  const form = new URLSearchParams({
    client_id: "odt-console", redirect_uri: redirect, response_type: "code", scope: "openid profile", state: "s",
    code_challenge: challenge, code_challenge_method: "S256", nonce: "n", tenant, role, ttl: String(ttl),
  });
  const a = await fetch(`${stack.issuer}/authorize`, { method: "POST", body: form, redirect: "manual" });
  const code = new URL(a.headers.get("location") ?? "").searchParams.get("code");
  if (!code) throw new Error(`no code: ${a.status}`);
  const t = await fetch(`${stack.issuer}/token`, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirect, client_id: "odt-console", code_verifier: verifier }),
  });
  const body = (await t.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** One API call as `token`; throws on an error answer. */
export async function api<T = Record<string, unknown>>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(stack.baseUrl + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

/** The demo Okta group whose members own some of the demo fleet, and the UEM device group of hostile names. */
export const SALES_GROUP = "00gSALES000000000001";
export const HOSTILE_UEM_GROUP = "503";
export const HOSTILE_DEVICE = "<img src=x onerror=alert(1)>";
export const HOSTILE_GROUP = '"><script>';

/** Configures `tenant` through the API as the walkthrough does (org, device trust, UEM, iOS and macOS, the
 * fleet, Okta Verify), reconciles and deploys. Returns the admin token. */
export async function configuredTenant(tenant: string): Promise<string> {
  const t = await tokenFor(tenant, "admin");
  const org = await api<{ id: string }>(t, "POST", "/okta-orgs", {
    domain: stack.oktaDomain,
    credentials: { method: "client_secret_basic", clientId: stack.clientId, clientSecret: stack.clientSecret },
  });
  await api(t, "PUT", "/device-trust", { oktaOrgId: org.id });
  await api(t, "PUT", "/uem", { portalUrl: `https://${stack.hexnodePortal}`, apiKey: stack.hexnodeApiKey });
  await api(t, "PUT", "/platforms/ios", { secretKey: "ios-secret-key-for-tests" });
  await api(t, "PUT", "/platforms/ios/enabled", { enabled: true });
  await api(t, "PUT", "/fleet", { oktaGroupIds: [SALES_GROUP], uemDeviceGroupIds: [HOSTILE_UEM_GROUP] });
  await api(t, "PUT", "/okta-verify/ios", { method: "vpp", appId: "701", locationToken: "Acme VPP", licenses: 100 });
  await api(t, "POST", "/fleet/sync");
  await api(t, "POST", "/deployments/run");
  return t;
}
