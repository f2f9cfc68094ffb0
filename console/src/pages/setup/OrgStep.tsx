import { useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import RadioGroup from "@cloudscape-design/components/radio-group";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Textarea from "@cloudscape-design/components/textarea";
import { unwrap, type Schemas } from "../../api/client";
import { bannerError, ErrorAlert, fieldError, useAction, type Loaded } from "../../components/common";
import { secretLabel } from "../../labels";
import { useSession } from "../../session";

type Org = Schemas["OrgView"];

/** The credential fields of a connect or rotate form (the API's `CredentialsInput`). */
export function CredentialFields(props: {
  method: string;
  setMethod: (m: string) => void;
  clientId: string;
  setClientId: (v: string) => void;
  secret: string;
  setSecret: (v: string) => void;
  keyId: string;
  setKeyId: (v: string) => void;
  error?: Error;
}) {
  const { method, error } = props;
  return (
    <>
      <FormField label="Authentication" errorText={fieldError(error, "credentials.method")}>
        <RadioGroup
          value={method}
          onChange={(e) => props.setMethod(e.detail.value)}
          items={[
            { value: "client_secret_basic", label: "Client secret (API service integration)" },
            { value: "private_key_jwt", label: "Private key (your own API Services app)" },
          ]}
        />
      </FormField>
      <FormField label="Client ID" errorText={fieldError(error, "credentials.clientId") ?? fieldError(error, "credentials")}>
        <Input value={props.clientId} onChange={(e) => props.setClientId(e.detail.value)} ariaLabel="Client ID" />
      </FormField>
      {method === "client_secret_basic" ? (
        <FormField label="Client secret" errorText={fieldError(error, "credentials.clientSecret")}>
          <Input type="password" value={props.secret} onChange={(e) => props.setSecret(e.detail.value)} ariaLabel="Client secret" />
        </FormField>
      ) : (
        <>
          <FormField label="Private key (PEM)" errorText={fieldError(error, "credentials.privateKey")}>
            <Textarea value={props.secret} onChange={(e) => props.setSecret(e.detail.value)} ariaLabel="Private key" rows={4} />
          </FormField>
          <FormField label="Key ID (optional)" errorText={fieldError(error, "credentials.keyId")}>
            <Input value={props.keyId} onChange={(e) => props.setKeyId(e.detail.value)} ariaLabel="Key ID" />
          </FormField>
        </>
      )}
    </>
  );
}

/** The credentials body of the form's values. */
export function credentials(method: string, clientId: string, secret: string, keyId: string): Schemas["CredentialsInput"] {
  return method === "client_secret_basic"
    ? { method: "client_secret_basic", clientId, clientSecret: secret }
    : { method: "private_key_jwt", clientId, privateKey: secret, keyId: keyId || null };
}

/** Step 1: the connected Okta orgs (granted scopes, secret "set"), and a form to connect another. */
export function OrgStep({ orgs }: { orgs: Loaded<Schemas["OrgList"]> }) {
  const { client } = useSession();
  const [domain, setDomain] = useState("");
  const [method, setMethod] = useState("client_secret_basic");
  const [clientId, setClientId] = useState("");
  const [secret, setSecret] = useState("");
  const [keyId, setKeyId] = useState("");
  const act = useAction();
  const connect = () =>
    act.run(async () => {
      await unwrap(client.POST("/okta-orgs", { body: { domain, credentials: credentials(method, clientId, secret, keyId) } }));
      setSecret("");
      orgs.reload();
    });
  const items: Org[] = orgs.data?.items ?? [];
  return (
    <SpaceBetween size="l">
      <ErrorAlert error={orgs.error} onReload={orgs.reload} />
      <Table
        header={<Header variant="h2" counter={`(${items.length})`}>Connected Okta orgs</Header>}
        ariaLabels={{ tableLabel: "Connected Okta orgs" }}
        items={items}
        loading={orgs.loading}
        empty="No Okta org connected yet"
        columnDefinitions={[
          { id: "domain", header: "Domain", cell: (o) => o.domain },
          { id: "client", header: "Client ID", cell: (o) => o.clientId },
          { id: "method", header: "Authentication", cell: (o) => o.authMethod },
          { id: "scopes", header: "Granted scopes", cell: (o) => o.grantedScopes.join(", ") },
          { id: "secret", header: "Credential", cell: (o) => secretLabel(o.secret) },
        ]}
      />
      <Container header={<Header variant="h2" description="The credentials are verified with Okta before anything is saved.">Connect an Okta org</Header>}>
        <SpaceBetween size="m">
          <ErrorAlert error={bannerError(act.error, ["domain", "credentials"])} />
          <FormField label="Okta domain" description="e.g. acme.okta.com" errorText={fieldError(act.error, "domain")}>
            <Input value={domain} onChange={(e) => setDomain(e.detail.value)} ariaLabel="Okta domain" />
          </FormField>
          <CredentialFields {...{ method, setMethod, clientId, setClientId, secret, setSecret, keyId, setKeyId }} error={act.error} />
          <Box>
            <Button onClick={connect} loading={act.busy}>Verify and connect</Button>
          </Box>
        </SpaceBetween>
      </Container>
    </SpaceBetween>
  );
}
