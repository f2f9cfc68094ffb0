import { describe, expect, it } from "vitest";
import { EXCLUSION_LABELS, secretLabel, settingLabel, setupStateLabel, STATE_LABELS, stateLabel } from "./labels";
import { parseConfig } from "./config";
import { callerOf, hasAudience } from "./auth";
import { toApiError } from "./api/client";

describe("labels", () => {
  it("gives every state and reason a human label", () => {
    expect(Object.values(STATE_LABELS).every((l) => l.length > 0 && !l.includes("_"))).toBe(true);
    expect(Object.values(EXCLUSION_LABELS).every((l) => !l.includes("_"))).toBe(true);
    expect(stateLabel("not_in_scope")).toBe("Not in scope");
    expect(setupStateLabel("not_configured")).toBe("Not set up");
    expect(setupStateLabel(undefined)).toBe("…");
    expect(settingLabel("secretKey")).toBe("Secret key");
  });
  it("never shows a secret, only that it is set", () => {
    expect(secretLabel({ set: false })).toBe("Not set");
    expect(secretLabel({ set: true, updatedAt: "2026-01-02T03:04:05Z" })).toMatch(/^Set \(/);
  });
});

describe("config.json", () => {
  it("takes the four keys and refuses a missing one or a plain-http remote URL", () => {
    const ok = { apiUrl: "https://api.example/", issuer: "https://id.example/oauth2/x", clientId: "c", audience: "a" };
    expect(parseConfig(ok).apiUrl).toBe("https://api.example");
    expect(() => parseConfig({ ...ok, clientId: "" })).toThrow(/clientId/);
    expect(() => parseConfig({ ...ok, apiUrl: "http://api.example" })).toThrow(/apiUrl/);
  });
});

describe("tokens and errors", () => {
  const jwt = (claims: object) => `h.${btoa(JSON.stringify(claims)).replace(/=+$/, "")}.s`;
  it("reads the role and tenant claims and checks the audience", () => {
    const t = jwt({ role: "technician", tenant_id: "acme", aud: ["api://odt"] });
    expect(callerOf(t)).toEqual({ role: "technician", tenant: "acme" });
    expect(hasAudience(t, "api://odt")).toBe(true);
    expect(callerOf(jwt({ role: "root" })).role).toBe("unknown");
  });
  it("reads the API's error body and the gateway's", () => {
    const e = toApiError(400, { error: { code: "invalid", message: "bad", field: "domain", currentVersion: 3 } });
    expect([e.status, e.code, e.field, e.details.currentVersion]).toEqual([400, "invalid", "domain", 3]);
    expect(toApiError(401, { message: "Unauthorized" }).code).toBe("unauthorized");
  });
});
