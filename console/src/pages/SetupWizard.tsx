import { useState } from "react";
import { useNavigate } from "react-router-dom";
import Wizard from "@cloudscape-design/components/wizard";
import { unwrap } from "../api/client";
import { useLoad } from "../components/common";
import { useSession } from "../session";
import { OrgStep } from "./setup/OrgStep";
import { TrustStep, UemStep } from "./setup/TrustUemStep";
import { PlatformStep } from "./setup/PlatformStep";
import { FleetStep } from "./setup/FleetStep";
import { OktaVerifyStep } from "./setup/OktaVerifyStep";
import { HookStep } from "./setup/HookStep";
import { FinishStep } from "./setup/FinishStep";

const STEP_KEY = "odt.setupStep";

/** The set-up wizard, in the seed's order; each step shows what is saved, and the step reached is kept for the
 * tab's session, so leaving and coming back resumes there. */
export function SetupWizard() {
  const { client } = useSession();
  const navigate = useNavigate();
  const [step, setStep] = useState(() => Number(sessionStorage.getItem(STEP_KEY) ?? "0") || 0);
  const go = (i: number) => {
    sessionStorage.setItem(STEP_KEY, String(i));
    setStep(i);
  };
  const orgs = useLoad(() => unwrap(client.GET("/okta-orgs")), []);
  const trust = useLoad(() => unwrap(client.GET("/device-trust")), []);
  const uem = useLoad(() => unwrap(client.GET("/uem")), []);
  const fleet = useLoad(() => unwrap(client.GET("/fleet")), []);
  const methods = useLoad(() => unwrap(client.GET("/okta-verify")), [step]);
  const hook = useLoad(() => unwrap(client.GET("/event-hook")), []);
  const [blocked, setBlocked] = useState<{ step: number; why: string }>();
  // What each of the first three steps must have saved before a later step can work (the API would refuse it).
  const unmet = (i: number): string | undefined => {
    if (i === 0 && orgs.data && orgs.data.count === 0) return "Connect an Okta org first: the later steps read its groups.";
    if (i === 1 && trust.data && trust.data.state !== "active") return "Choose the org device trust uses first.";
    if (i === 2 && uem.data && uem.data.state !== "connected") return "Connect the UEM first: the fleet and Okta Verify read from it.";
    return undefined;
  };
  const navigateTo = (requested: number) => {
    for (let i = step; i < Math.min(requested, 3); i++) {
      const why = unmet(i);
      if (why) {
        setBlocked({ step: i, why });
        go(i);
        return;
      }
    }
    setBlocked(undefined);
    go(requested);
  };
  const errorOf = (i: number) => (blocked?.step === i && unmet(i) ? blocked.why : undefined);
  return (
    <Wizard
      activeStepIndex={step}
      onNavigate={(e) => navigateTo(e.detail.requestedStepIndex)}
      onCancel={() => navigate("/status")}
      onSubmit={() => {
        sessionStorage.removeItem(STEP_KEY);
        navigate("/status");
      }}
      allowSkipTo
      i18nStrings={{
        stepNumberLabel: (n) => `Step ${n}`,
        collapsedStepsLabel: (n, total) => `Step ${n} of ${total}`,
        skipToButtonLabel: (s) => `Skip to ${s.title}`,
        navigationAriaLabel: "Steps",
        cancelButton: "Leave",
        previousButton: "Previous",
        nextButton: "Next",
        submitButton: "Done",
        optional: "optional",
      }}
      steps={[
        { title: "Okta org", description: "Connect the org (verified before saving).", content: <OrgStep orgs={orgs} />, errorText: errorOf(0) },
        { title: "Device trust org", content: <TrustStep orgs={orgs} trust={trust} />, errorText: errorOf(1) },
        { title: "UEM connection", content: <UemStep uem={uem} />, errorText: errorOf(2) },
        { title: "Platforms", content: <PlatformStep /> },
        { title: "Fleet", content: <FleetStep fleet={fleet} orgId={trust.data?.oktaOrgId} /> },
        { title: "Okta Verify", content: <OktaVerifyStep methods={methods} /> },
        { title: "Event hook", content: <HookStep hook={hook} /> },
        { title: "Apply and deploy", content: <FinishStep /> },
      ]}
    />
  );
}
