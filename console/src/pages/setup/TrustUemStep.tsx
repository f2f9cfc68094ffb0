import { useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { unwrap, type Schemas } from "../../api/client";
import { bannerError, ErrorAlert, fieldError, useAction, when, type Loaded } from "../../components/common";
import { secretLabel, setupStateLabel } from "../../labels";
import { useSession } from "../../session";

/** Step 2: the org device trust uses. */
export function TrustStep({ orgs, trust }: { orgs: Loaded<Schemas["OrgList"]>; trust: Loaded<Schemas["DeviceTrustView"]> }) {
  const { client } = useSession();
  const [orgId, setOrgId] = useState<string>();
  const act = useAction();
  const options = (orgs.data?.items ?? []).map((o) => ({ value: o.id, label: o.domain }));
  const chosen = orgId ?? trust.data?.oktaOrgId ?? undefined;
  const save = () =>
    act.run(async () => {
      await unwrap(client.PUT("/device-trust", { body: { oktaOrgId: chosen!, version: trust.data?.version ?? 0 } }));
      trust.reload();
    });
  return (
    <Container header={<Header variant="h2">The org device trust uses</Header>}>
      <SpaceBetween size="m">
        <ErrorAlert error={trust.error ?? bannerError(act.error, ["oktaOrgId"])} onReload={trust.reload} />
        <KeyValuePairs columns={3} items={[
          { label: "Device trust", value: setupStateLabel(trust.data?.state) },
          { label: "Okta org", value: trust.data?.oktaDomain ?? "none chosen" },
          { label: "Since", value: when(trust.data?.enabledAt) },
        ]} />
        <FormField label="Okta org" errorText={fieldError(act.error, "oktaOrgId")}>
          <Select
            ariaLabel="Okta org"
            selectedOption={options.find((o) => o.value === chosen) ?? null}
            options={options}
            placeholder="Choose a connected org"
            onChange={(e) => setOrgId(e.detail.selectedOption.value)}
          />
        </FormField>
        <Box><Button onClick={save} loading={act.busy} disabled={!chosen}>Use this org</Button></Box>
      </SpaceBetween>
    </Container>
  );
}

/** Step 3: the UEM connection (Hexnode portal, API key, the product's share of Hexnode's limits). */
export function UemStep({ uem }: { uem: Loaded<Schemas["UemView"]> }) {
  const { client } = useSession();
  const [portal, setPortal] = useState<string>();
  const [apiKey, setApiKey] = useState("");
  const [share, setShare] = useState<string>();
  const act = useAction();
  const u = uem.data;
  const portalUrl = portal ?? (u?.portal ? `https://${u.portal}` : "");
  const save = () =>
    act.run(async () => {
      const body: Schemas["ConnectUem"] = { portalUrl, version: u?.version ?? 0 };
      if (apiKey) body.apiKey = apiKey;
      if (share) body.callSharePercent = Number(share);
      await unwrap(client.PUT("/uem", { body }));
      setApiKey("");
      uem.reload();
    });
  return (
    <Container header={<Header variant="h2" description="The key is verified with one read call before it is saved.">The UEM connection (Hexnode)</Header>}>
      <SpaceBetween size="m">
        <ErrorAlert error={uem.error ?? bannerError(act.error, ["portalUrl", "apiKey", "callSharePercent"])} onReload={uem.reload} />
        <KeyValuePairs columns={3} items={[
          { label: "State", value: setupStateLabel(u?.state) },
          { label: "API key", value: secretLabel(u?.apiKey) },
          { label: "Verified", value: when(u?.verifiedAt) },
        ]} />
        <FormField label="Portal URL" description="https://<portal>.hexnodemdm.com" errorText={fieldError(act.error, "portalUrl")}>
          <Input value={portalUrl} onChange={(e) => setPortal(e.detail.value)} ariaLabel="Portal URL" />
        </FormField>
        <FormField label="API key" description={u?.apiKey?.set ? "Leave empty to keep the saved key." : undefined} errorText={fieldError(act.error, "apiKey")}>
          <Input type="password" value={apiKey} onChange={(e) => setApiKey(e.detail.value)} ariaLabel="API key" />
        </FormField>
        <FormField label="Share of Hexnode's limits (percent)" errorText={fieldError(act.error, "callSharePercent")}>
          <Input type="number" value={share ?? String(u?.callBudget?.sharePercent ?? 50)} onChange={(e) => setShare(e.detail.value)} ariaLabel="Share of Hexnode's limits" />
        </FormField>
        <Box><Button onClick={save} loading={act.busy}>Verify and save</Button></Box>
      </SpaceBetween>
    </Container>
  );
}
