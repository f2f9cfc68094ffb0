import { useMemo, useState } from "react";
import { useAuth } from "react-oidc-context";
import { BrowserRouter } from "react-router-dom";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Spinner from "@cloudscape-design/components/spinner";
import { makeClient } from "./api/client";
import { callerOf, hasAudience } from "./auth";
import type { ConsoleConfig } from "./config";
import { SessionContext, type Session } from "./session";
import { App } from "./App";

const EXPIRED_FLAG = "odt.sessionExpired";

/** Signed out: the sign-in page (with why, after an expired session). */
function SignIn({ onSignIn, expired, error }: { onSignIn: () => void; expired: boolean; error?: string }) {
  return (
    <main>
      <Box padding="xxl">
        <Container header={<Header variant="h1">Okta Device Trust</Header>}>
          <SpaceBetween size="m">
            {expired && <Alert type="warning">Your session has ended. Sign in again to go on.</Alert>}
            {error && <Alert type="error">Sign-in failed: {error}</Alert>}
            <Box>Set up and follow Okta Device Trust for the devices your UEM manages.</Box>
            <Button variant="primary" onClick={onSignIn}>
              Sign in
            </Button>
          </SpaceBetween>
        </Container>
      </Box>
    </main>
  );
}

/** The sign-in gate: the app for a signed-in caller, the sign-in page otherwise. */
export function Root({ config }: { config: ConsoleConfig }) {
  const auth = useAuth();
  const [expired, setExpired] = useState(() => sessionStorage.getItem(EXPIRED_FLAG) === "1");
  const token = auth.user?.access_token;
  const session = useMemo<Session | null>(() => {
    if (!token) return null;
    const onUnauthorized = () => {
      sessionStorage.setItem(EXPIRED_FLAG, "1");
      setExpired(true);
      void auth.removeUser();
    };
    return {
      config,
      client: makeClient(config.apiUrl, () => token, onUnauthorized),
      caller: callerOf(token),
      signOut: () => void auth.signoutRedirect(),
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [token, config]);
  if (auth.isLoading || auth.activeNavigator) {
    return (
      <Box padding="xxl" textAlign="center">
        <Spinner size="large" /> Signing in…
      </Box>
    );
  }
  const signIn = () => {
    sessionStorage.removeItem(EXPIRED_FLAG);
    void auth.signinRedirect({ state: window.location.pathname + window.location.search });
  };
  if (!session || auth.user?.expired) {
    return <SignIn onSignIn={signIn} expired={expired || !!auth.user?.expired} error={auth.error?.message} />;
  }
  if (!hasAudience(token!, config.audience)) {
    return <SignIn onSignIn={signIn} expired={false} error={`the token is not for the audience ${config.audience}`} />;
  }
  return (
    <SessionContext.Provider value={session}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </SessionContext.Provider>
  );
}
