import { useState } from "react";
import Button from "@cloudscape-design/components/button";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Textarea from "@cloudscape-design/components/textarea";
import Container from "@cloudscape-design/components/container";
import { unwrap } from "../api/client";
import { bannerError, ErrorAlert, fieldError, useLoad } from "../components/common";
import { useIsAdmin, useSession } from "../session";

/** The technicians exports may be mailed to; admins edit the list. */
export function TechniciansPage() {
  const { client } = useSession();
  const admin = useIsAdmin();
  const list = useLoad(() => unwrap(client.GET("/technicians")), []);
  const [draft, setDraft] = useState<string>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const save = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const emails = (draft ?? "").split(/[\s,;]+/).filter(Boolean);
      await unwrap(client.PUT("/technicians", { body: { emails, version: list.data?.version ?? 0 } }));
      setDraft(undefined);
      list.reload();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <ContentLayout header={<Header variant="h1">Technicians</Header>}>
      <SpaceBetween size="l">
        <ErrorAlert error={list.error ?? bannerError(error, ["emails"])} onReload={() => { setError(undefined); list.reload(); }} />
        <Table
          header={<Header variant="h2" counter={list.data ? `(${list.data.emails.length})` : undefined}
            actions={admin && draft === undefined ? <Button onClick={() => setDraft((list.data?.emails ?? []).join("\n"))}>Edit list</Button> : undefined}>
            Who exports may be shared with</Header>}
          ariaLabels={{ tableLabel: "Technicians" }}
          loading={list.loading}
          items={(list.data?.emails ?? []).map((e) => ({ email: e }))}
          empty="No technicians yet"
          columnDefinitions={[{ id: "email", header: "Email", cell: (t) => t.email }]}
        />
        {admin && draft !== undefined && (
          <Container header={<Header variant="h2">Edit the list</Header>}>
            <Form actions={<SpaceBetween direction="horizontal" size="xs">
              <Button variant="link" onClick={() => setDraft(undefined)}>Cancel</Button>
              <Button variant="primary" onClick={save} loading={busy}>Save</Button></SpaceBetween>}>
              <FormField label="Email addresses" description="One a line." errorText={fieldError(error, "emails")}>
                <Textarea value={draft} onChange={(e) => setDraft(e.detail.value)} ariaLabel="Email addresses" rows={6} />
              </FormField>
            </Form>
          </Container>
        )}
      </SpaceBetween>
    </ContentLayout>
  );
}
