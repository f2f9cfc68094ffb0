import { useState } from "react";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import FormField from "@cloudscape-design/components/form-field";
import Modal from "@cloudscape-design/components/modal";
import Multiselect from "@cloudscape-design/components/multiselect";
import SegmentedControl from "@cloudscape-design/components/segmented-control";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { unwrap, type Schemas } from "../api/client";
import { bannerError, ErrorAlert, fieldError, useLoad } from "../components/common";
import { useSession } from "../session";

/** Share the status (with the table's filters) by mail with technicians on the tenant's list. */
export function ShareModal({ filters, onClose }: { filters: Record<string, string | undefined>; onClose: () => void }) {
  const { client } = useSession();
  const techs = useLoad(() => unwrap(client.GET("/technicians")), []);
  const [emails, setEmails] = useState<string[]>([]);
  const [format, setFormat] = useState<Schemas["Format"]>("pdf");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error>();
  const [done, setDone] = useState<Schemas["ShareView"]>();
  const share = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setDone(await unwrap(client.POST("/status/exports/share", { body: { format, emails, ...filters } })));
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  const options = (techs.data?.emails ?? []).map((e) => ({ value: e, label: e }));
  return (
    <Modal
      visible
      onDismiss={onClose}
      header="Share with technicians"
      footer={
        <Box float="right">
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="link" onClick={onClose}>{done ? "Close" : "Cancel"}</Button>
            {!done && (
              <Button variant="primary" onClick={share} loading={busy} disabled={emails.length === 0}>
                Send
              </Button>
            )}
          </SpaceBetween>
        </Box>
      }
    >
      <SpaceBetween size="m">
        <ErrorAlert error={techs.error ?? bannerError(error, ["emails"])} />
        {done ? (
          <Alert type={done.notSent.length ? "warning" : "success"}>
            Sent to {done.sentTo.join(", ") || "nobody"}.
            {done.notSent.length > 0 && ` Not sent: ${done.notSent.map((n) => `${n.to} (${n.reason})`).join(", ")}.`}
          </Alert>
        ) : (
          <>
            <FormField label="Technicians" errorText={fieldError(error, "emails")}
              description={options.length ? undefined : "No technicians yet: an admin adds them on the Technicians page."}>
              <Multiselect
                ariaLabel="Technicians"
                selectedOptions={options.filter((o) => emails.includes(o.value))}
                options={options}
                onChange={(e) => setEmails(e.detail.selectedOptions.map((o) => o.value!))}
                placeholder="Choose technicians"
              />
            </FormField>
            <FormField label="Format">
              <SegmentedControl
                label="Format"
                selectedId={format}
                options={[{ id: "pdf", text: "PDF" }, { id: "csv", text: "CSV" }]}
                onChange={(e) => setFormat(e.detail.selectedId as Schemas["Format"])}
              />
            </FormField>
          </>
        )}
      </SpaceBetween>
    </Modal>
  );
}
