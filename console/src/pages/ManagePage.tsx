import { useEffect, useState } from "react";
import { useNavigate } from "react-router-dom";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Modal from "@cloudscape-design/components/modal";
import ProgressBar from "@cloudscape-design/components/progress-bar";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Toggle from "@cloudscape-design/components/toggle";
import { unwrap, type Schemas } from "../api/client";
import { bannerError, ErrorAlert, fieldError, useAction, useLoad } from "../components/common";
import { platformLabel, setupStateLabel } from "../labels";
import { useSession } from "../session";
import { credentials, CredentialFields } from "./setup/OrgStep";

/** Opens the set-up wizard at a step (platforms 3, fleet 4). */
function useOpenStep() {
  const navigate = useNavigate();
  return (i: number) => {
    sessionStorage.setItem("odt.setupStep", String(i));
    navigate("/setup");
  };
}

/** Update the client ID / secret (or key) of the org device trust uses; verified by Okta before it is kept. */
function Rotate({ org, onDone }: { org: Schemas["OrgView"]; onDone: () => void }) {
  const { client } = useSession();
  const [method, setMethod] = useState(org.authMethod);
  const [clientId, setClientId] = useState(org.clientId);
  const [secret, setSecret] = useState("");
  const [keyId, setKeyId] = useState("");
  const act = useAction();
  const [saved, setSaved] = useState(false);
  const save = () =>
    act.run(async () => {
      await unwrap(client.PUT("/okta-orgs/{orgId}/credentials", { params: { path: { orgId: org.id } }, body: { credentials: credentials(method, clientId, secret, keyId), version: org.version } }));
      setSecret("");
      setSaved(true);
      onDone();
    });
  return (
    <Container header={<Header variant="h2" description={`${org.domain}: the old credentials stay until Okta accepts the new ones.`}>Update client ID and secret</Header>}>
      <SpaceBetween size="m">
        <ErrorAlert error={bannerError(act.error, ["credentials"])} onReload={onDone} />
        {saved && <Alert type="success">Verified with Okta and saved.</Alert>}
        <CredentialFields {...{ method, setMethod, clientId, setClientId, secret, setSecret, keyId, setKeyId }} error={act.error} />
        <Box><Button onClick={save} loading={act.busy}>Verify and update</Button></Box>
      </SpaceBetween>
    </Container>
  );
}

/** Platforms: the switch of each, whether its policy carries the current payload, re-configure. */
function Platforms({ overview, reload, oldPayload }: { overview?: Schemas["Overview"]; reload: () => void; oldPayload: number }) {
  const { client } = useSession();
  const open = useOpenStep();
  const act = useAction();
  const toggle = (p: Schemas["Platform"], enabled: boolean) =>
    act.run(async () => {
      const cur = await unwrap(client.GET("/platforms/{platform}", { params: { path: { platform: p } } }));
      await unwrap(client.PUT("/platforms/{platform}/enabled", { params: { path: { platform: p } }, body: { enabled, version: cur.version } }));
      reload();
    });
  return (
    <Table
      header={<Header variant="h2" description={oldPayload ? `${oldPayload} devices still carry an old payload (e.g. the previous secret key) until the new one is applied.` : "Every device carries its platform's current payload."}
        actions={<Button onClick={() => open(4)}>Edit the fleet</Button>}>Platforms</Header>}
      ariaLabels={{ tableLabel: "Platforms" }}
      items={overview?.platforms ?? []}
      loading={!overview}
      columnDefinitions={[
        { id: "p", header: "Platform", cell: (p) => platformLabel(p.platform) },
        { id: "on", header: "Switch", cell: (p) => <Toggle checked={p.enabled} disabled={act.busy} onChange={(e) => toggle(p.platform, e.detail.checked)} ariaLabel={`${platformLabel(p.platform)} switched on`}>{p.enabled ? "On" : "Off"}</Toggle> },
        { id: "scope", header: "In scope", cell: (p) => p.inScope },
        { id: "payload", header: "Payload", cell: (p) => (!p.policyId ? "Not deployed" : p.payloadCurrent ? "Current" : "Old payload until the next run") },
        { id: "re", header: "", cell: (p) => <Button variant="inline-link" onClick={() => open(3)} ariaLabel={`Re-configure ${platformLabel(p.platform)}`}>Re-configure</Button> },
      ]}
    />
  );
}

/** Delete device trust after a confirmation naming what comes off, then the progress until it is all off. */
function DeleteTrust({ trust, overview, reload }: { trust?: Schemas["DeviceTrustView"]; overview?: Schemas["Overview"]; reload: () => void }) {
  const { client } = useSession();
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState("");
  const act = useAction();
  // Devices carrying items when the removal was asked for here (the progress's whole); the removal is done when
  // no device carries an item, or device trust is gone altogether.
  const [startCarrying, setStartCarrying] = useState<number>();
  const carrying = overview?.devicesCarryingItems;
  const removing = trust?.state === "removing" || startCarrying !== undefined;
  const done = removing && (trust?.state === "not_configured" || carrying === 0);
  useEffect(() => {
    if (!removing || done) return;
    const t = setTimeout(reload, 2000);
    return () => clearTimeout(t);
  }, [removing, done, overview, trust, reload]);
  const groups = (overview?.platforms ?? []).filter((p) => p.groupId || p.policyId);
  const confirm = () =>
    act.run(async () => {
      await unwrap(client.DELETE("/device-trust", { params: { query: { version: trust?.version } } }));
      setStartCarrying(carrying ?? 0);
      setAsking(false);
      reload();
    });
  return (
    <Container header={<Header variant="h2">Delete device trust</Header>}>
      <SpaceBetween size="m">
        <ErrorAlert error={act.error} onReload={reload} />
        {removing ? (
          <ProgressBar label="Removing every item from every device"
            value={done ? 100 : startCarrying && carrying !== undefined ? Math.round((100 * (startCarrying - Math.min(carrying, startCarrying))) / startCarrying) : 0}
            status={done ? "success" : "in-progress"}
            description={`${done ? 0 : (carrying ?? "…")} devices still carry items`} resultText="Every item is off every device." />
        ) : (
          <Box><Button onClick={() => setAsking(true)} disabled={trust?.state !== "active"}>Delete device trust</Button></Box>
        )}
        {asking && (
          <Modal visible header="Delete device trust?" onDismiss={() => setAsking(false)}
            footer={<Box float="right"><SpaceBetween direction="horizontal" size="xs">
              <Button variant="link" onClick={() => setAsking(false)}>Cancel</Button>
              <Button variant="primary" onClick={confirm} loading={act.busy} disabled={typed !== "delete"}>Delete</Button>
            </SpaceBetween></Box>}>
            <SpaceBetween size="s">
              <Box>This takes Okta Verify, the attestation payloads and the SSO extension off {overview?.devicesCarryingItems ?? 0} devices, and removes the managed device groups and policies of: {groups.map((g) => platformLabel(g.platform)).join(", ") || "no platform"}.</Box>
              <FormField label='Type "delete" to confirm' errorText={fieldError(act.error, "version")}>
                <Input value={typed} onChange={(e) => setTyped(e.detail.value)} ariaLabel="Confirmation" />
              </FormField>
            </SpaceBetween>
          </Modal>
        )}
      </SpaceBetween>
    </Container>
  );
}

/** The seed's Actions menu: update credentials, platform switches and re-configure, edit the fleet, delete. */
export function ManagePage() {
  const { client } = useSession();
  const trust = useLoad(() => unwrap(client.GET("/device-trust")), []);
  const overview = useLoad(() => unwrap(client.GET("/deployments")), []);
  const status = useLoad(() => unwrap(client.GET("/status")), []);
  const orgId = trust.data?.oktaOrgId;
  const org = useLoad(() => (orgId ? unwrap(client.GET("/okta-orgs/{orgId}", { params: { path: { orgId } } })) : Promise.resolve(undefined)), [orgId]);
  const reload = () => {
    trust.reload();
    overview.reload();
    status.reload();
  };
  return (
    <ContentLayout header={<Header variant="h1" description={`Device trust: ${setupStateLabel(trust.data?.state)}${trust.data?.oktaDomain ? ` with ${trust.data.oktaDomain}` : ""}`}>Manage device trust</Header>}>
      <SpaceBetween size="l">
        <ErrorAlert error={trust.error ?? overview.error ?? org.error} onReload={reload} />
        {org.data && <Rotate key={org.data.version} org={org.data} onDone={org.reload} />}
        <Platforms overview={overview.data} reload={reload} oldPayload={status.data?.summary.oldPayload ?? 0} />
        <DeleteTrust trust={trust.data} overview={overview.data} reload={reload} />
      </SpaceBetween>
    </ContentLayout>
  );
}
