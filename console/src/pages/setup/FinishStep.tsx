import { useEffect, useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import ProgressBar from "@cloudscape-design/components/progress-bar";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { Link as RouterLink } from "react-router-dom";
import { unwrap, type Client, type Schemas } from "../../api/client";
import { ErrorAlert, useAction } from "../../components/common";
import { useSession } from "../../session";

/** Devices in scope and devices carrying the items, from the deployment overview. */
export function deployProgress(o: Schemas["Overview"]): { inScope: number; carrying: number; failed: number } {
  const inScope = o.platforms.reduce((n, p) => n + (p.enabled ? p.inScope : 0), 0);
  return { inScope, carrying: o.devicesCarryingItems, failed: o.failedDevices };
}

/** Polls the deployment overview every 2 s while `active`, until every in-scope device carries its items. */
function useDeployProgress(client: Client, active: boolean) {
  const [overview, setOverview] = useState<Schemas["Overview"]>();
  useEffect(() => {
    if (!active) return;
    let live = true;
    const tick = async () => {
      try {
        const o = await unwrap(client.GET("/deployments"));
        if (!live) return;
        setOverview(o);
        const p = deployProgress(o);
        if (p.carrying + p.failed < p.inScope) setTimeout(tick, 2000);
      } catch {
        if (live) setTimeout(tick, 4000);
      }
    };
    void tick();
    return () => {
      live = false;
    };
  }, [client, active]);
  return overview;
}

/** Step 8: apply the fleet, reconcile and deploy, with progress until the devices are done. */
export function FinishStep() {
  const { client } = useSession();
  const act = useAction();
  const [sync, setSync] = useState<Schemas["SyncSummary"]>();
  const [run, setRun] = useState<Schemas["RunReport"]>();
  const overview = useDeployProgress(client, !!run);
  const start = () =>
    act.run(async () => {
      setSync(await unwrap(client.POST("/fleet/sync")));
      setRun(await unwrap(client.POST("/deployments/run")));
    });
  const p = overview ? deployProgress(overview) : undefined;
  const done = p && p.carrying + p.failed >= p.inScope;
  return (
    <Container header={<Header variant="h2" description="Reconciles the fleet, then deploys Okta Verify and the attestation to every in-scope device.">Apply and deploy</Header>}>
      <SpaceBetween size="m">
        <ErrorAlert error={act.error} />
        <Box><Button variant="primary" onClick={start} loading={act.busy}>Apply, reconcile and deploy</Button></Box>
        {sync && <Box>Reconciled: {sync.devices} devices, {sync.inScope} in scope, {sync.written} records written{sync.complete ? "" : " (continues in the background)"}.</Box>}
        {run && <Box>Deployment run: {run.devices} devices, {run.uemCalls} UEM calls{run.blocked ? `; blocked: ${run.blocked}` : ""}.</Box>}
        {p && (
          <ProgressBar
            label="Devices carrying their items"
            value={p.inScope ? Math.round((100 * p.carrying) / p.inScope) : 100}
            status={done ? "success" : "in-progress"}
            description={`${p.carrying} of ${p.inScope} in-scope devices${p.failed ? `, ${p.failed} failed` : ""}`}
            resultText={`Deployed: ${p.carrying} of ${p.inScope} devices carry their items${p.failed ? `, ${p.failed} failed` : ""}.`}
            additionalInfo={done ? <RouterLink to="/status">See the device status</RouterLink> : undefined}
          />
        )}
      </SpaceBetween>
    </Container>
  );
}
