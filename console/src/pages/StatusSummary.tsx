import { Link as RouterLink } from "react-router-dom";
import BarChart from "@cloudscape-design/components/bar-chart";
import Box from "@cloudscape-design/components/box";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Table from "@cloudscape-design/components/table";
import type { Schemas } from "../api/client";
import { PLATFORMS, platformLabel, STATES, stateLabel } from "../labels";
import { useIsAdmin } from "../session";

/** What an empty tenant shows instead of a chart: where to start. */
function NoDevices() {
  const admin = useIsAdmin();
  return (
    <Box textAlign="center">
      No devices yet.{" "}
      {admin ? <RouterLink to="/setup">Set up device trust</RouterLink> : "An admin sets up device trust first."}
    </Box>
  );
}

const linkable = (p: string) => (PLATFORMS as string[]).includes(p);

const href = (platform: string, state?: string) =>
  `/status?platform=${encodeURIComponent(platform)}` + (state ? `&state=${encodeURIComponent(state)}` : "");

/** The summary per platform: a stacked bar chart of states and the counts, each linking to its device list. */
export function StatusSummary({ summary }: { summary: Schemas["Summary"] }) {
  const platforms = Object.keys(summary.byPlatform).sort();
  const states = STATES.filter((s) => platforms.some((p) => (summary.byPlatform[p]?.[s] ?? 0) > 0));
  const series = states.map((s) => ({
    title: stateLabel(s),
    type: "bar" as const,
    data: platforms.map((p) => ({ x: platformLabel(p), y: summary.byPlatform[p]?.[s] ?? 0 })),
  }));
  return (
    <Container header={<Header variant="h2">Summary per platform</Header>}>
      <ColumnLayout columns={3} variant="text-grid">
        <div>
          <Box variant="awsui-key-label">Devices</Box>
          <Box variant="h3" tagOverride="p">{summary.devices}</Box>
        </div>
        <div>
          <Box variant="awsui-key-label">In scope</Box>
          <Box variant="h3" tagOverride="p">{summary.inScope}</Box>
        </div>
        <div>
          <Box variant="awsui-key-label">Carrying an old payload</Box>
          <Box variant="h3" tagOverride="p">{summary.oldPayload}</Box>
        </div>
      </ColumnLayout>
      <BarChart
        series={series}
        xScaleType="categorical"
        stackedBars
        height={220}
        ariaLabel="Devices by state, per platform"
        xTitle="Platform"
        yTitle="Devices"
        hideFilter
        empty={<NoDevices />}
        i18nStrings={{ legendAriaLabel: "Legend", chartAriaRoleDescription: "stacked bar chart" }}
      />
      <Table
        variant="embedded"
        ariaLabels={{ tableLabel: "Counts per platform and state" }}
        items={platforms}
        columnDefinitions={[
          { id: "platform", header: "Platform", cell: (p) => (linkable(p) ? <RouterLink to={href(p)}>{platformLabel(p)}</RouterLink> : platformLabel(p)) },
          ...states.map((s) => ({
            id: s,
            header: stateLabel(s),
            cell: (p: string) => {
              const n = summary.byPlatform[p]?.[s] ?? 0;
              return n && linkable(p) ? <RouterLink to={href(p, s)} aria-label={`${n} ${stateLabel(s)} on ${platformLabel(p)}`}>{n}</RouterLink> : String(n);
            },
          })),
        ]}
      />
    </Container>
  );
}
