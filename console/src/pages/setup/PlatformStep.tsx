import { useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ExpandableSection from "@cloudscape-design/components/expandable-section";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import RadioGroup from "@cloudscape-design/components/radio-group";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Tabs from "@cloudscape-design/components/tabs";
import Textarea from "@cloudscape-design/components/textarea";
import Toggle from "@cloudscape-design/components/toggle";
import { unwrap, type Schemas } from "../../api/client";
import { bannerError, ErrorAlert, fieldError, useAction, useLoad, when } from "../../components/common";
import { PLATFORMS, platformLabel, secretLabel, settingLabel, setupStateLabel, type Platform } from "../../labels";
import { useSession } from "../../session";

const MOBILE_FIELDS = ["secretKey", "enrollmentLink"];
const DESKTOP_FIELDS = ["scepUrl", "challenge", "subject", "caCertificate", "keySize"];

/** The saved state of a platform: what is set (secrets as "set", with when), what is missing, the switch. */
function Saved({ p }: { p: Schemas["PlatformView"] }) {
  const secrets = Object.entries(p.secrets).map(([k, s]) => ({ label: settingLabel(k), value: secretLabel(s) }));
  const s = p.settings;
  return (
    <KeyValuePairs columns={3} items={[
      { label: "State", value: setupStateLabel(p.state) },
      { label: "Missing", value: p.missing.length ? p.missing.map(settingLabel).join(", ") : "nothing" },
      { label: "Updated", value: when(p.updatedAt) },
      ...secrets,
      ...(s?.scepUrl ? [{ label: "SCEP URL", value: s.scepUrl }] : []),
      ...(s?.subject ? [{ label: "Subject", value: s.subject }] : []),
      ...(s?.challengeType ? [{ label: "Challenge", value: s.challengeType }] : []),
      ...(s?.caCertificate ? [{ label: "CA certificate", value: `${s.caCertificate.subject} (until ${when(s.caCertificate.notAfter)})` }] : []),
      ...(s?.enrollmentLink ? [{ label: "Enrollment link", value: s.enrollmentLink }] : []),
    ]} />
  );
}

/** The preview of the exact document the platform's devices get (secrets masked by the API). */
function Preview({ platform }: { platform: Platform }) {
  const { client } = useSession();
  const [n, setN] = useState(0);
  const doc = useLoad(
    () => (n ? unwrap(client.GET("/platforms/{platform}/payload", { params: { path: { platform } } })) : Promise.resolve(undefined)),
    [platform, n],
  );
  return (
    <ExpandableSection headerText="Preview the document devices get" onChange={(e) => e.detail.expanded && setN((x) => x + 1)}>
      <ErrorAlert error={doc.error} />
      {doc.data && (
        <SpaceBetween size="xs">
          <Box variant="small">{doc.data.mediaType} · hash {doc.data.payloadHash}</Box>
          <pre className="payload" aria-label={`${platformLabel(platform)} document`} tabIndex={0}>{doc.data.document}</pre>
        </SpaceBetween>
      )}
    </ExpandableSection>
  );
}

/** The form of one platform: every field the API takes, its errors next to the field it names. */
function PlatformForm({ platform }: { platform: Platform }) {
  const { client } = useSession();
  const saved = useLoad(() => unwrap(client.GET("/platforms/{platform}", { params: { path: { platform } } })), [platform]);
  const desktop = platform === "macos" || platform === "windows";
  const [v, setV] = useState<Record<string, string>>({ challengeType: "static" });
  const set = (k: string) => (e: { detail: { value: string } }) => setV((x) => ({ ...x, [k]: e.detail.value }));
  const act = useAction();
  const sw = useAction();
  const p = saved.data;
  const s = p?.settings;
  const val = (k: string, from?: string | number | null) => v[k] ?? (from == null ? "" : String(from));
  const body = (): Schemas["MobileSettingsInput"] | Schemas["DesktopSettingsInput"] => {
    const version = p?.version ?? 0;
    if (!desktop) {
      return { secretKey: v.secretKey || undefined, enrollmentLink: val("enrollmentLink", s?.enrollmentLink) || undefined, version };
    }
    const type = v.challengeType ?? s?.challengeType ?? "static";
    const challenge: Schemas["ChallengeInput"] =
      type === "dynamic"
        ? { type: "dynamic", challengeUrl: val("challengeUrl", s?.challengeUrl), username: v.username ?? "", password: v.password || undefined }
        : { type: "static", secretKey: v.challengeSecret || undefined };
    return {
      scepUrl: val("scepUrl", s?.scepUrl),
      subject: val("subject", s?.subject),
      challenge,
      caCertificate: v.caCertificate || undefined,
      keySize: val("keySize", s?.keySize) ? Number(val("keySize", s?.keySize)) : undefined,
      version,
    };
  };
  const save = () =>
    act.run(async () => {
      await unwrap(client.PUT("/platforms/{platform}", { params: { path: { platform } }, body: body() }));
      setV({ challengeType: v.challengeType ?? "static" });
      saved.reload();
    });
  const toggle = (enabled: boolean) =>
    sw.run(async () => {
      await unwrap(client.PUT("/platforms/{platform}/enabled", { params: { path: { platform } }, body: { enabled, version: p?.version ?? 0 } }));
      saved.reload();
    });
  const err = (f: string) => fieldError(act.error, f);
  const label = platformLabel(platform);
  return (
    <SpaceBetween size="m">
      <ErrorAlert error={saved.error ?? sw.error ?? bannerError(act.error, desktop ? DESKTOP_FIELDS : MOBILE_FIELDS)} onReload={saved.reload} />
      {p && <Saved p={p} />}
      <Toggle checked={!!p?.enabled} disabled={!p || sw.busy} onChange={(e) => toggle(e.detail.checked)} ariaLabel={`${label} switched on`}>
        {label} {p?.enabled ? "switched on" : "switched off"}
      </Toggle>
      {desktop ? (
        <>
          <FormField label="SCEP URL" errorText={err("scepUrl")}><Input value={val("scepUrl", s?.scepUrl)} onChange={set("scepUrl")} ariaLabel={`${label} SCEP URL`} /></FormField>
          <FormField label="Challenge" errorText={err("challenge")}>
            <RadioGroup value={v.challengeType ?? s?.challengeType ?? "static"} onChange={set("challengeType")}
              items={[{ value: "static", label: "Static" }, { value: "dynamic", label: "Dynamic (challenge URL)" }]} />
          </FormField>
          {(v.challengeType ?? s?.challengeType ?? "static") === "static" ? (
            <FormField label="Static challenge" description={`Saved: ${secretLabel(p?.secrets?.secretKey)}`} errorText={err("challenge.secretKey")}>
              <Input type="password" value={v.challengeSecret ?? ""} onChange={set("challengeSecret")} ariaLabel={`${label} static challenge`} />
            </FormField>
          ) : (
            <>
              <FormField label="Challenge URL" errorText={err("challenge.challengeUrl")}><Input value={val("challengeUrl", s?.challengeUrl)} onChange={set("challengeUrl")} ariaLabel={`${label} challenge URL`} /></FormField>
              <FormField label="Username" errorText={err("challenge.username")}><Input value={v.username ?? ""} onChange={set("username")} ariaLabel={`${label} challenge username`} /></FormField>
              <FormField label="Password" errorText={err("challenge.password")}><Input type="password" value={v.password ?? ""} onChange={set("password")} ariaLabel={`${label} challenge password`} /></FormField>
            </>
          )}
          <FormField label="Subject" description="e.g. CN={{serialnumber}}" errorText={err("subject")}><Input value={val("subject", s?.subject)} onChange={set("subject")} ariaLabel={`${label} subject`} /></FormField>
          <FormField label="CA certificate (PEM)" description={s?.caCertificate ? `Saved: ${s.caCertificate.subject}` : undefined} errorText={err("caCertificate")}>
            <Textarea value={v.caCertificate ?? ""} onChange={set("caCertificate")} ariaLabel={`${label} CA certificate`} rows={3} />
          </FormField>
          <FormField label="Key size" errorText={err("keySize")}><Input type="number" value={val("keySize", s?.keySize)} onChange={set("keySize")} ariaLabel={`${label} key size`} /></FormField>
        </>
      ) : (
        <>
          <FormField label="Secret key" description={`Saved: ${secretLabel(p?.secrets?.secretKey)}. Leave empty to keep it.`} errorText={err("secretKey")}>
            <Input type="password" value={v.secretKey ?? ""} onChange={set("secretKey")} ariaLabel={`${label} secret key`} />
          </FormField>
          <FormField label="Enrollment link (optional)" errorText={err("enrollmentLink")}>
            <Input value={val("enrollmentLink", s?.enrollmentLink)} onChange={set("enrollmentLink")} ariaLabel={`${label} enrollment link`} />
          </FormField>
        </>
      )}
      <Box><Button onClick={save} loading={act.busy}>Save {label}</Button></Box>
      {p?.payloadHash && <Preview platform={platform} />}
    </SpaceBetween>
  );
}

/** Step 4: management attestation per platform. */
export function PlatformStep() {
  const [tab, setTab] = useState<string>("ios");
  return (
    <Container header={<Header variant="h2" description="Every field the API takes; secrets are write-only.">Management attestation per platform</Header>}>
      <Tabs activeTabId={tab} onChange={(e) => setTab(e.detail.activeTabId)} ariaLabel="Platforms"
        tabs={PLATFORMS.map((p) => ({ id: p, label: platformLabel(p), content: tab === p ? <PlatformForm platform={p} /> : null }))} />
    </Container>
  );
}
