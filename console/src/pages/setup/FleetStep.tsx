import { useEffect, useState } from "react";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Multiselect, { type MultiselectProps } from "@cloudscape-design/components/multiselect";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { unwrap, type Schemas } from "../../api/client";
import { bannerError, ErrorAlert, fieldError, useAction, type Loaded } from "../../components/common";
import { exclusionLabel, platformLabel } from "../../labels";
import { useSession } from "../../session";

type Option = MultiselectProps.Option;

/** A multiselect whose options the API searches by name (`q`), every page; ids are the keys, names shown. */
function GroupPicker(props: {
  label: string;
  selected: string[];
  onChange: (ids: string[]) => void;
  search: (q: string) => Promise<{ id: string; name: string }[]>;
  errorText?: string;
}) {
  const [options, setOptions] = useState<Option[]>([]);
  const [known, setKnown] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<MultiselectProps["statusType"]>("pending");
  const load = (q: string) => {
    setStatus("loading");
    props.search(q).then(
      (gs) => {
        setOptions(gs.map((g) => ({ value: g.id, label: g.name, description: g.id })));
        setKnown((k) => ({ ...k, ...Object.fromEntries(gs.map((g) => [g.id, g.name])) }));
        setStatus("finished");
      },
      () => setStatus("error"),
    );
  };
  useEffect(() => load(""), []); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <FormField label={props.label} errorText={props.errorText}>
      <Multiselect
        ariaLabel={props.label}
        filteringType="manual"
        filteringAriaLabel={`Search ${props.label}`}
        filteringPlaceholder="Search by name"
        statusType={status}
        loadingText="Searching"
        errorText="The search failed"
        onLoadItems={(e) => load(e.detail.filteringText)}
        options={options}
        selectedOptions={props.selected.map((id) => ({ value: id, label: known[id] ?? id, description: id }))}
        onChange={(e) => props.onChange(e.detail.selectedOptions.map((o) => o.value!))}
        placeholder="Choose groups"
        deselectAriaLabel={(o) => `Remove ${o.label ?? o.value}`}
      />
    </FormField>
  );
}

/** Step 5: the fleet (Okta user groups and UEM device groups), its preview and saving it. */
export function FleetStep({ fleet, orgId }: { fleet: Loaded<Schemas["FleetView"]>; orgId?: string | null }) {
  const { client } = useSession();
  const [okta, setOkta] = useState<string[]>();
  const [uem, setUem] = useState<string[]>();
  const [preview, setPreview] = useState<Schemas["PreviewView"]>();
  const act = useAction();
  const oktaIds = okta ?? fleet.data?.oktaGroupIds ?? [];
  const uemIds = uem ?? fleet.data?.uemDeviceGroupIds ?? [];
  const body = { oktaGroupIds: oktaIds, uemDeviceGroupIds: uemIds };
  const doPreview = () => act.run(async () => setPreview(await unwrap(client.POST("/fleet/preview", { body }))));
  const save = () =>
    act.run(async () => {
      await unwrap(client.PUT("/fleet", { body: { ...body, version: fleet.data?.version ?? 0 } }));
      setOkta(undefined);
      setUem(undefined);
      fleet.reload();
    });
  const searchOkta = async (q: string) =>
    orgId ? (await unwrap(client.GET("/okta-orgs/{orgId}/groups", { params: { path: { orgId }, query: q ? { q } : {} } }))).items : [];
  const searchUem = async (q: string) =>
    (await unwrap(client.GET("/uem/device-groups", { params: { query: q ? { q } : {} } }))).items;
  const reasons = Object.entries(preview?.excluded ?? {});
  return (
    <Container header={<Header variant="h2" description="Devices whose owner is in an Okta group, or devices in a UEM device group.">The fleet</Header>}>
      <SpaceBetween size="m">
        <ErrorAlert error={fleet.error ?? bannerError(act.error, ["oktaGroupIds", "uemDeviceGroupIds"])} onReload={fleet.reload} />
        <Box variant="small">Saved: {fleet.data ? `${fleet.data.oktaGroupIds.length} Okta groups, ${fleet.data.uemDeviceGroupIds.length} UEM device groups` : "…"}</Box>
        <ColumnLayout columns={2}>
          {orgId ? (
            <GroupPicker label="Okta user groups" selected={oktaIds} onChange={setOkta} search={searchOkta} errorText={fieldError(act.error, "oktaGroupIds")} />
          ) : (
            <Box>Choose the org device trust uses first.</Box>
          )}
          <GroupPicker label="UEM device groups" selected={uemIds} onChange={setUem} search={searchUem} errorText={fieldError(act.error, "uemDeviceGroupIds")} />
        </ColumnLayout>
        <SpaceBetween direction="horizontal" size="xs">
          <Button onClick={doPreview} loading={act.busy}>Preview the fleet</Button>
          <Button onClick={save} loading={act.busy}>Save the fleet</Button>
        </SpaceBetween>
        {preview && (
          <SpaceBetween size="s">
            <Box>
              {preview.devices} devices: <strong>{preview.inScope} in scope</strong>
              {reasons.length > 0 && `, ${preview.devices - preview.inScope} excluded`}
            </Box>
            <Table
              ariaLabels={{ tableLabel: "Excluded by reason" }}
              variant="embedded"
              items={reasons}
              empty="None excluded"
              columnDefinitions={[
                { id: "reason", header: "Exclusion reason", cell: ([r]) => exclusionLabel(r) },
                { id: "n", header: "Devices", cell: ([, n]) => n },
                {
                  id: "examples",
                  header: "Examples",
                  cell: ([r]) => preview.sample.filter((d) => d.exclusion === r).slice(0, 3).map((d) => d.name).join(", "),
                },
              ]}
            />
            <Table
              ariaLabels={{ tableLabel: "Example devices" }}
              variant="embedded"
              header={<Header variant="h3">Example devices</Header>}
              items={preview.sample}
              columnDefinitions={[
                { id: "name", header: "Device", cell: (d) => d.name },
                { id: "platform", header: "Platform", cell: (d) => platformLabel(d.platform) },
                { id: "owner", header: "Owner", cell: (d) => d.ownerEmail ?? "—" },
                { id: "scope", header: "In scope", cell: (d) => (d.inScope ? "Yes" : exclusionLabel(d.exclusion)) },
              ]}
            />
          </SpaceBetween>
        )}
      </SpaceBetween>
    </Container>
  );
}
