import { useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { unwrap, type Schemas } from "../../api/client";
import { bannerError, ErrorAlert, fieldError, useAction, useLoad, when, type Loaded } from "../../components/common";
import { platformLabel } from "../../labels";
import { useSession } from "../../session";

const METHOD_LABELS: Record<Schemas["MethodName"], string> = {
  vpp: "Apple VPP",
  pkg: "PKG from the UEM's apps",
  pkg_upload: "PKG by its installer URL",
  exe: "EXE from the UEM's apps",
  exe_upload: "EXE by its installer URL",
  managed_play: "Managed Google Play",
};

const FIELDS = ["appId", "locationToken", "licenses", "installerUrl", "name", "category", "successCriteria", "uninstallParameters", "method"];

/** How Okta Verify reaches one platform's devices. */
function PlatformMethod({ entry, onSaved }: { entry: Schemas["PlatformMethods"]; onSaved: () => void }) {
  const { client } = useSession();
  const p = entry.platform;
  const c = entry.configured ?? undefined;
  const [method, setMethod] = useState<Schemas["MethodName"]>((c?.method as Schemas["MethodName"]) ?? entry.allowedMethods[0]);
  const [v, setV] = useState<Record<string, string>>({});
  const apps = useLoad(() => unwrap(client.GET("/uem/apps", { params: { query: { platform: p } } })).catch(() => ({ apps: [] })), [p]);
  const act = useAction();
  const set = (k: string) => (e: { detail: { value: string } }) => setV((x) => ({ ...x, [k]: e.detail.value }));
  const upload = method === "exe_upload" || method === "pkg_upload";
  const appOptions = (apps.data?.apps ?? []).map((a) => ({ value: a.id, label: a.name, description: `${a.kind}${a.version ? " " + a.version : ""} · id ${a.id}` }));
  const appId = v.appId ?? c?.appId ?? "";
  const save = () =>
    act.run(async () => {
      const body: Schemas["OktaVerifyInput"] = { method, version: c?.version ?? 0 };
      if (!upload && appId) body.appId = appId;
      if (method === "vpp") {
        body.locationToken = v.locationToken ?? c?.locationToken ?? "";
        body.licenses = Number(v.licenses ?? c?.licenses ?? 0);
      }
      if (upload) {
        body.installerUrl = v.installerUrl ?? "";
        if (v.name) body.name = v.name;
      }
      await unwrap(client.PUT("/okta-verify/{platform}", { params: { path: { platform: p } }, body }));
      onSaved();
    });
  const err = (f: string) => fieldError(act.error, f);
  const label = platformLabel(p);
  return (
    <Container header={<Header variant="h3" description={c ? `Saved: ${METHOD_LABELS[c.method as Schemas["MethodName"]] ?? c.method}, ${c.appName} (${when(c.updatedAt)})` : "Not set: devices get the attestation payload but not Okta Verify."}>{label}</Header>}>
      <SpaceBetween size="s">
        <ErrorAlert error={bannerError(act.error, FIELDS)} />
        <FormField label="Method" errorText={err("method")}>
          <Select ariaLabel={`${label} method`} selectedOption={{ value: method, label: METHOD_LABELS[method] }}
            options={entry.allowedMethods.map((m) => ({ value: m, label: METHOD_LABELS[m] }))}
            onChange={(e) => setMethod(e.detail.selectedOption.value as Schemas["MethodName"])} />
        </FormField>
        {!upload && (
          <FormField label="App from the UEM" errorText={err("appId")}>
            <Select ariaLabel={`${label} app`} selectedOption={appOptions.find((o) => o.value === appId) ?? null} options={appOptions}
              placeholder={method === "managed_play" ? "Found by its package when none is chosen" : "Choose the app"}
              statusType={apps.loading ? "loading" : "finished"} onChange={(e) => setV((x) => ({ ...x, appId: e.detail.selectedOption.value! }))} />
          </FormField>
        )}
        {method === "vpp" && (
          <>
            <FormField label="VPP location token" errorText={err("locationToken")}><Input value={v.locationToken ?? c?.locationToken ?? ""} onChange={set("locationToken")} ariaLabel={`${label} VPP location token`} /></FormField>
            <FormField label="Licenses" errorText={err("licenses")}><Input type="number" value={v.licenses ?? String(c?.licenses ?? "")} onChange={set("licenses")} ariaLabel={`${label} licenses`} /></FormField>
          </>
        )}
        {upload && (
          <>
            <FormField label="Installer URL (https)" errorText={err("installerUrl")}><Input value={v.installerUrl ?? ""} onChange={set("installerUrl")} ariaLabel={`${label} installer URL`} /></FormField>
            <FormField label="Name (optional)" errorText={err("name")}><Input value={v.name ?? ""} onChange={set("name")} ariaLabel={`${label} app name`} /></FormField>
          </>
        )}
        <Box><Button onClick={save} loading={act.busy}>Save {label} method</Button></Box>
      </SpaceBetween>
    </Container>
  );
}

/** Step 6: how Okta Verify is installed per platform. */
export function OktaVerifyStep({ methods }: { methods: Loaded<Schemas["OktaVerifyList"]> }) {
  return (
    <SpaceBetween size="m">
      <ErrorAlert error={methods.error} onReload={methods.reload} />
      {(methods.data?.platforms ?? []).map((e) => (
        <PlatformMethod key={e.platform} entry={e} onSaved={methods.reload} />
      ))}
    </SpaceBetween>
  );
}
