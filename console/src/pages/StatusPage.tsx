import { useState } from "react";
import { Link as RouterLink, useSearchParams } from "react-router-dom";
import Button from "@cloudscape-design/components/button";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import Pagination from "@cloudscape-design/components/pagination";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator, { type StatusIndicatorProps } from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import Alert from "@cloudscape-design/components/alert";
import { unwrap, type Schemas } from "../api/client";
import { ErrorAlert, useLoad } from "../components/common";
import { saveExport } from "../components/download";
import { exclusionLabel, PLATFORMS, platformLabel, STATES, stateLabel } from "../labels";
import { useSession } from "../session";
import { ShareModal } from "./ShareModal";
import { StatusSummary } from "./StatusSummary";

const PAGE_SIZE = 25;

/** How each state shows. */
export const STATE_TYPE: Record<string, StatusIndicatorProps.Type> = {
  managed: "success",
  delivered: "in-progress",
  awaiting_fastpass: "pending",
  pending: "pending",
  not_managed: "warning",
  must_enroll_again: "warning",
  failed: "error",
  unsupported: "stopped",
  removing: "in-progress",
  not_in_scope: "stopped",
};

type Filters = { platform?: string; state?: string; q?: string };

/** Device configuration status: the summary per platform, then the device table (filters, pages), exports. */
export function StatusPage() {
  const { client } = useSession();
  const [params, setParams] = useSearchParams();
  const filters: Filters = {
    platform: params.get("platform") ?? undefined,
    state: params.get("state") ?? undefined,
    q: params.get("q") ?? undefined,
  };
  const page = Math.max(1, Number(params.get("page") ?? "1") || 1);
  const [text, setText] = useState(filters.q ?? "");
  const [busy, setBusy] = useState<string>();
  const [actionError, setActionError] = useState<Error>();
  const [notice, setNotice] = useState<string>();
  const [sharing, setSharing] = useState(false);
  const status = useLoad(() => unwrap(client.GET("/status")), []);
  const devices = useLoad(
    () => unwrap(client.GET("/status/devices", { params: { query: { ...filters, page, pageSize: PAGE_SIZE } } })),
    [filters.platform, filters.state, filters.q, page],
  );
  const setFilter = (k: keyof Filters, v?: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(k, v);
    else next.delete(k);
    next.delete("page");
    setParams(next);
  };
  const run = async (what: string, f: () => Promise<void>) => {
    setBusy(what);
    setActionError(undefined);
    setNotice(undefined);
    try {
      await f();
    } catch (e) {
      setActionError(e as Error);
    } finally {
      setBusy(undefined);
    }
  };
  const refresh = () =>
    run("refresh", async () => {
      const r = await unwrap(client.POST("/status/refresh"));
      setNotice(`Evidence read at ${new Date(r.checkedAt).toLocaleString()}: ${r.devices} devices, ${r.matched} matched to an Okta device; evidence new or changed for ${r.written}.`);
      status.reload();
      devices.reload();
    });
  const exportAs = (format: Schemas["Format"]) =>
    run(format, async () => {
      const x = await unwrap(client.POST("/status/exports", { body: { format, ...filters } }));
      saveExport(x);
      setNotice(`Exported ${x.rows} devices as ${format.toUpperCase()}.`);
    });
  const platformOptions = [{ value: "", label: "Any platform" }, ...PLATFORMS.map((p) => ({ value: p, label: platformLabel(p) }))];
  const stateOptions = [{ value: "", label: "Any state" }, ...STATES.map((s) => ({ value: s, label: stateLabel(s) }))];
  const data = devices.data;
  return (
    <ContentLayout header={<Header variant="h1">Device configuration status</Header>}>
      <SpaceBetween size="l">
        <ErrorAlert error={status.error ?? actionError} onReload={status.reload} />
        {notice && <Alert type="success" dismissible onDismiss={() => setNotice(undefined)}>{notice}</Alert>}
        {status.data && <StatusSummary summary={status.data.summary} />}
        <Table
          header={
            <Header
              variant="h2"
              counter={data ? `(${data.total})` : undefined}
              actions={
                <SpaceBetween direction="horizontal" size="xs">
                  <Button onClick={refresh} loading={busy === "refresh"}>Refresh evidence</Button>
                  <Button onClick={() => exportAs("csv")} loading={busy === "csv"}>Download CSV</Button>
                  <Button onClick={() => exportAs("pdf")} loading={busy === "pdf"}>Download PDF</Button>
                  <Button onClick={() => setSharing(true)}>Share</Button>
                </SpaceBetween>
              }
            >
              Devices
            </Header>
          }
          ariaLabels={{ tableLabel: "Devices" }}
          loading={devices.loading}
          loadingText="Loading devices"
          items={data?.items ?? []}
          trackBy="deviceId"
          empty="No devices match"
          filter={
            <SpaceBetween direction="horizontal" size="xs">
              <TextFilter
                filteringText={text}
                filteringPlaceholder="Name, id, owner or OS version"
                filteringAriaLabel="Search devices"
                onChange={(e) => setText(e.detail.filteringText)}
                onDelayedChange={(e) => setFilter("q", e.detail.filteringText.trim() || undefined)}
              />
              <Select
                ariaLabel="Platform"
                selectedOption={platformOptions.find((o) => o.value === (filters.platform ?? "")) ?? platformOptions[0]}
                options={platformOptions}
                onChange={(e) => setFilter("platform", e.detail.selectedOption.value || undefined)}
              />
              <Select
                ariaLabel="State"
                selectedOption={stateOptions.find((o) => o.value === (filters.state ?? "")) ?? stateOptions[0]}
                options={stateOptions}
                onChange={(e) => setFilter("state", e.detail.selectedOption.value || undefined)}
              />
            </SpaceBetween>
          }
          pagination={
            <Pagination
              currentPageIndex={page}
              pagesCount={Math.max(1, data?.pages ?? 1)}
              onChange={(e) => {
                const next = new URLSearchParams(params);
                next.set("page", String(e.detail.currentPageIndex));
                setParams(next);
              }}
              ariaLabels={{ nextPageLabel: "Next page", previousPageLabel: "Previous page", pageLabel: (n) => `Page ${n}` }}
            />
          }
          columnDefinitions={[
            {
              id: "name",
              header: "Device",
              cell: (d) => <RouterLink to={`/devices/${encodeURIComponent(d.deviceId)}`}>{d.deviceName || d.deviceId}</RouterLink>,
            },
            { id: "platform", header: "Platform", cell: (d) => platformLabel(d.platform) },
            { id: "owner", header: "Owner", cell: (d) => d.ownerEmail ?? "—" },
            {
              id: "state",
              header: "State",
              cell: (d) => <StatusIndicator type={STATE_TYPE[d.odtStatus] ?? "info"}>{stateLabel(d.odtStatus)}</StatusIndicator>,
            },
            { id: "scope", header: "In scope", cell: (d) => (d.inScope ? "Yes" : exclusionLabel(d.exclusion) || "No") },
            { id: "next", header: "Next step", cell: (d) => d.nextStep },
          ]}
        />
        {sharing && <ShareModal filters={filters} onClose={() => setSharing(false)} />}
      </SpaceBetween>
    </ContentLayout>
  );
}
