import { useState } from "react";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import CopyToClipboard from "@cloudscape-design/components/copy-to-clipboard";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import { unwrap, type Schemas } from "../../api/client";
import { bannerError, ErrorAlert, fieldError, useAction, when, type Loaded } from "../../components/common";
import { useSession } from "../../session";

const copy = (label: string, text: string) => (
  <CopyToClipboard variant="inline" textToCopy={text} copyButtonAriaLabel={`Copy ${label}`} copySuccessText={`${label} copied`} copyErrorText={`${label} not copied`} />
);

/** Okta's own view of the hook the product registered: active and verified is what Okta delivers to. */
function OktaView({ okta }: { okta: Schemas["OktaHookView"] }) {
  const ready = okta.status === "ACTIVE" && okta.verificationStatus === "VERIFIED";
  return (
    <KeyValuePairs columns={1} items={[
      { label: "In Okta", value: <StatusIndicator type={ready ? "success" : "warning"}>{ready ? "Active, verified" : `${okta.status.toLowerCase()}, ${okta.verificationStatus.toLowerCase()}`}</StatusIndicator> },
      { label: "Okta hook id", value: okta.id },
      { label: "URL Okta calls", value: okta.uri },
    ]} />
  );
}

/** Step 7: the event hook. When the Okta app is granted `okta.eventHooks.manage`, the product registers it in
 * Okta (created, verified by Okta calling the product, activated; its secret rotated later with no delivery
 * refused); otherwise the hook to create in Okta by hand: URL, the Authorization header's secret, the event
 * types. */
export function HookStep({ hook }: { hook: Loaded<Schemas["HookView"]> }) {
  const { client, config } = useSession();
  const [secret, setSecret] = useState("");
  const act = useAction();
  const h = hook.data;
  const byProduct = h?.setUpBy === "product";
  const allowed = h?.automation?.allowed === true;
  const save = () =>
    act.run(async () => {
      await unwrap(client.PUT("/event-hook", { body: { secret, version: h?.version ?? 0 } }));
      setSecret("");
      hook.reload();
    });
  const register = () =>
    act.run(async () => {
      await unwrap(client.POST("/event-hook/register"));
      hook.reload();
    });
  const rotate = () =>
    act.run(async () => {
      await unwrap(client.POST("/event-hook/rotate"));
      hook.reload();
    });
  const title = byProduct ? "The event hook in Okta" : "The event hook to create in Okta";
  const description = byProduct
    ? "Registered by the product through Okta's Event Hooks API; Okta verified the product's URL."
    : allowed
      ? "The product can create and verify it in Okta for you, or create it by hand (Okta › Workflow › Event Hooks › Create, then Verify)."
      : "Okta › Workflow › Event Hooks › Create. Then Verify in Okta.";
  return (
    <Container header={<Header variant="h2" description={description}>{title}</Header>}>
      <SpaceBetween size="m">
        <ErrorAlert error={hook.error ?? bannerError(act.error, ["secret"])} onReload={hook.reload} />
        {h?.oktaError && <Alert type="warning" header="Okta's view of the hook could not be read">{h.oktaError}</Alert>}
        {h?.okta && <OktaView okta={h.okta} />}
        {byProduct && (
          <Box>
            <Button onClick={rotate} loading={act.busy}>Rotate the hook secret</Button>
          </Box>
        )}
        {!byProduct && allowed && (
          <Box>
            <Button variant="primary" onClick={register} loading={act.busy}>Register in Okta</Button>
          </Box>
        )}
        {!byProduct && !allowed && h?.automation?.missingScope && (
          <Alert type="info">Grant {h.automation.missingScope} to the Okta app to let the product create and verify the hook for you.</Alert>
        )}
        {h && !byProduct && (
          <KeyValuePairs columns={1} items={[
            { label: "URL", value: copy("URL", config.apiUrl + h.path) },
            { label: "Header", value: copy("header name", "Authorization") },
            { label: "Header value", value: h.secretSet ? `Set (${when(h.secretUpdatedAt)}): the value you saved here` : "Not set: choose one below" },
            { label: "Event types", value: copy("event types", h.eventTypes.join("\n")) },
          ]} />
        )}
        {h && byProduct && (
          <KeyValuePairs columns={1} items={[
            { label: "Secret", value: `Set (${when(h.secretUpdatedAt)}); held by Okta and the product, never shown` },
            { label: "Event types", value: h.eventTypes.join(", ") },
          ]} />
        )}
        {!byProduct && (
          <>
            <FormField label="Authorization header value" description="A long random value; enter the same in Okta." errorText={fieldError(act.error, "secret")}>
              <Input type="password" value={secret} onChange={(e) => setSecret(e.detail.value)} ariaLabel="Authorization header value" />
            </FormField>
            <Box><Button onClick={save} loading={act.busy}>Save header value</Button></Box>
          </>
        )}
      </SpaceBetween>
    </Container>
  );
}
