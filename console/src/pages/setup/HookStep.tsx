import { useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import CopyToClipboard from "@cloudscape-design/components/copy-to-clipboard";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { unwrap, type Schemas } from "../../api/client";
import { bannerError, ErrorAlert, fieldError, useAction, when, type Loaded } from "../../components/common";
import { useSession } from "../../session";

const copy = (label: string, text: string) => (
  <CopyToClipboard variant="inline" textToCopy={text} copyButtonAriaLabel={`Copy ${label}`} copySuccessText={`${label} copied`} copyErrorText={`${label} not copied`} />
);

/** Step 7: the event hook to create in Okta: URL, the Authorization header's secret, the event types. */
export function HookStep({ hook }: { hook: Loaded<Schemas["HookView"]> }) {
  const { client, config } = useSession();
  const [secret, setSecret] = useState("");
  const act = useAction();
  const h = hook.data;
  const save = () =>
    act.run(async () => {
      await unwrap(client.PUT("/event-hook", { body: { secret, version: h?.version ?? 0 } }));
      setSecret("");
      hook.reload();
    });
  return (
    <Container header={<Header variant="h2" description="Okta › Workflow › Event Hooks › Create. Then Verify in Okta.">The event hook to create in Okta</Header>}>
      <SpaceBetween size="m">
        <ErrorAlert error={hook.error ?? bannerError(act.error, ["secret"])} onReload={hook.reload} />
        {h && (
          <KeyValuePairs columns={1} items={[
            { label: "URL", value: copy("URL", config.apiUrl + h.path) },
            { label: "Header", value: copy("header name", "Authorization") },
            { label: "Header value", value: h.secretSet ? `Set (${when(h.secretUpdatedAt)}): the value you saved here` : "Not set: choose one below" },
            { label: "Event types", value: copy("event types", h.eventTypes.join("\n")) },
          ]} />
        )}
        <FormField label="Authorization header value" description="A long random value; enter the same in Okta." errorText={fieldError(act.error, "secret")}>
          <Input type="password" value={secret} onChange={(e) => setSecret(e.detail.value)} ariaLabel="Authorization header value" />
        </FormField>
        <Box><Button onClick={save} loading={act.busy}>Save header value</Button></Box>
      </SpaceBetween>
    </Container>
  );
}
