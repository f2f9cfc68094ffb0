import { useParams, Link as RouterLink } from "react-router-dom";
import Box from "@cloudscape-design/components/box";
import BreadcrumbGroup from "@cloudscape-design/components/breadcrumb-group";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import KeyValuePairs from "@cloudscape-design/components/key-value-pairs";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import { ApiError, unwrap } from "../api/client";
import { ErrorAlert, useLoad, when } from "../components/common";
import { exclusionLabel, platformLabel, stateLabel } from "../labels";
import { useSession } from "../session";
import { STATE_TYPE } from "./StatusPage";

const ITEM_LABELS: Record<string, string> = {
  okta_verify: "Okta Verify",
  attestation: "Attestation payload (app config or SCEP profile)",
  sso_extension: "SSO extension (macOS)",
};

/** One device: its evidence, its state and next step, and every deployment item with its attempts. */
export function DevicePage() {
  const { deviceId = "" } = useParams();
  const { client } = useSession();
  const status = useLoad(async () => {
    const page = await unwrap(client.GET("/status/devices", { params: { query: { q: deviceId, pageSize: 500 } } }));
    return page.items.find((d) => d.deviceId === deviceId);
  }, [deviceId]);
  const deployment = useLoad(
    () =>
      unwrap(client.GET("/deployments/devices/{deviceId}", { params: { path: { deviceId } } })).catch((e) => {
        if (e instanceof ApiError && e.status === 404) return undefined;
        throw e;
      }),
    [deviceId],
  );
  const d = status.data;
  const items = Object.entries(deployment.data?.items ?? {});
  return (
    <ContentLayout
      breadcrumbs={
        <BreadcrumbGroup
          items={[{ text: "Device status", href: "/status" }, { text: d?.deviceName || deviceId, href: "#" }]}
          ariaLabel="Breadcrumbs"
        />
      }
      header={<Header variant="h1">{d?.deviceName || deviceId}</Header>}
    >
      <SpaceBetween size="l">
        <ErrorAlert error={status.error ?? deployment.error} />
        {!status.loading && !d && !status.error && (
          <Box>
            No device {deviceId} in the status. <RouterLink to="/status">Back to the device list</RouterLink>
          </Box>
        )}
        {d && (
          <Container header={<Header variant="h2">Evidence</Header>}>
            <KeyValuePairs
              columns={3}
              items={[
                { label: "State", value: <StatusIndicator type={STATE_TYPE[d.odtStatus] ?? "info"}>{stateLabel(d.odtStatus)}</StatusIndicator> },
                { label: "Next step", value: d.nextStep },
                { label: "In scope", value: d.inScope ? "Yes" : d.exclusion ? `No: ${exclusionLabel(d.exclusion)}` : "No" },
                { label: "UEM device id", value: d.deviceId },
                { label: "Platform", value: `${platformLabel(d.platform)} ${d.osVersion}` },
                { label: "Owner", value: d.ownerEmail ?? "—" },
                { label: "Okta Verify installed", value: String(d.oktaVerifyInstalled) },
                { label: "Okta Verify configured", value: String(d.oktaVerifyConfigured) },
                { label: "SSO extension", value: String(d.ssoExtension) },
                { label: "SCEP profile / app config", value: String(d.attestationPayload) },
                { label: "Carries an old payload", value: d.oldPayload ? "Yes" : "No" },
                { label: "Attempts since last success", value: String(d.attempts) },
                { label: "Last attempt", value: when(d.lastAttemptAt) },
                { label: "Last error (the UEM's reason)", value: d.lastError ?? "—" },
              ]}
            />
          </Container>
        )}
        <Table
          header={<Header variant="h2" description={deployment.data?.retryAt ? `Next automatic attempt ${when(deployment.data.retryAt)}` : undefined}>Deployment attempts</Header>}
          ariaLabels={{ tableLabel: "Deployment items" }}
          loading={deployment.loading}
          loadingText="Loading deployment"
          items={items}
          empty="Nothing deployed to this device"
          columnDefinitions={[
            { id: "item", header: "Item", cell: ([k]) => ITEM_LABELS[k] ?? k },
            { id: "status", header: "Status", cell: ([, v]) => v.status },
            { id: "attempts", header: "Attempts", cell: ([, v]) => v.attempts },
            { id: "last", header: "Last attempt", cell: ([, v]) => when(v.lastAttemptAt) },
            { id: "error", header: "The UEM's reason", cell: ([, v]) => v.error ?? "—" },
          ]}
        />
      </SpaceBetween>
    </ContentLayout>
  );
}
