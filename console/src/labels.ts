import type { Schemas } from "./api/client";

export type OdtState = Schemas["OdtState"];
export type Platform = Schemas["Platform"];
export type Exclusion = Schemas["Exclusion"];

/** Human labels of the device states (the API's `OdtState`), in the order the console shows them. */
export const STATE_LABELS: Record<OdtState, string> = {
  managed: "Managed",
  delivered: "Delivered",
  awaiting_fastpass: "Awaiting FastPass",
  pending: "Pending",
  not_managed: "Not managed",
  must_enroll_again: "Must enroll again",
  failed: "Failed",
  unsupported: "Unsupported",
  removing: "Removing",
  not_in_scope: "Not in scope",
};

export const STATES = Object.keys(STATE_LABELS) as OdtState[];

/** The platforms device trust covers, with their labels. */
export const PLATFORM_LABELS: Record<Platform, string> = {
  ios: "iOS",
  android: "Android",
  macos: "macOS",
  windows: "Windows",
};

export const PLATFORMS = Object.keys(PLATFORM_LABELS) as Platform[];

/** Human labels of the exclusion reasons. */
export const EXCLUSION_LABELS: Record<Exclusion, string> = {
  no_owner: "No owner",
  owner_not_in_okta_org: "Owner not in the Okta org",
  owner_ambiguous: "Owner's email shared by several Okta users",
  not_in_selected_group: "Not in a selected group",
  owner_not_active: "Owner not active in Okta",
  platform_unsupported: "Platform not covered",
  platform_disabled: "Platform switched off",
  os_too_old: "OS too old",
  not_android_enterprise: "Not Android Enterprise",
};

/** The label of a platform key (`other` and unknown keys as they are). */
export function platformLabel(p: string | null | undefined): string {
  if (!p) return "Other";
  return (PLATFORM_LABELS as Record<string, string>)[p] ?? (p === "other" ? "Other" : p);
}

/** The label of a state key. */
export function stateLabel(s: string): string {
  return (STATE_LABELS as Record<string, string>)[s] ?? s;
}

/** The label of an exclusion reason. */
export function exclusionLabel(e: string | null | undefined): string {
  if (!e) return "";
  return (EXCLUSION_LABELS as Record<string, string>)[e] ?? e;
}

/** "Set" with when, for a write-only secret: never its value. */
export function secretLabel(s: { set: boolean; updatedAt?: string | null } | null | undefined): string {
  if (!s?.set) return "Not set";
  return s.updatedAt ? `Set (${new Date(s.updatedAt).toLocaleString()})` : "Set";
}

/** Human labels of the set-up states the API gives device trust (`DeviceTrustView.state`), a platform
 * (`PlatformView.state`) and the UEM connection (`UemView.state`). */
export const SETUP_STATE_LABELS: Record<string, string> = {
  not_configured: "Not set up",
  active: "Active",
  removing: "Being removed from the devices",
  configured: "Saved, switched off",
  enabled: "Switched on",
  not_connected: "Not connected",
  connected: "Connected",
};

/** The label of a set-up state (an unknown one as it is). */
export function setupStateLabel(state: string | null | undefined): string {
  return state ? (SETUP_STATE_LABELS[state] ?? state) : "…";
}

/** Human names of the platform settings the API names (`PlatformView.missing`, `secrets`, error fields). */
export const SETTING_LABELS: Record<string, string> = {
  secretKey: "Secret key",
  enrollmentLink: "Enrollment link",
  scepUrl: "SCEP URL",
  challenge: "SCEP challenge",
  subject: "Subject",
  caCertificate: "CA certificate",
  keySize: "Key size",
};

/** The label of a platform setting (an unknown one as it is). */
export function settingLabel(field: string): string {
  return SETTING_LABELS[field] ?? field;
}
