import "@cloudscape-design/global-styles/index.css";
import "./styles.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { AuthProvider } from "react-oidc-context";
import { I18nProvider } from "@cloudscape-design/components/i18n";
import messages from "@cloudscape-design/components/i18n/messages/all.en";
import type { User } from "oidc-client-ts";
import { loadConfig } from "./config";
import { oidcSettings } from "./auth";
import { Root } from "./Root";

const root = createRoot(document.getElementById("root")!);

/** After sign-in: drop `code` and `state` from the address (tokens never sit in a URL), back to where we were. */
function onSigninCallback(user: User | void) {
  const back = user && typeof user.state === "string" && user.state.startsWith("/") ? user.state : "/";
  window.history.replaceState({}, document.title, back);
}

loadConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        {/* Cloudscape's English strings: the labels of its own controls (close, dismiss, remove, paging). */}
        <I18nProvider locale="en" messages={[messages]}>
          <AuthProvider {...oidcSettings(config)} onSigninCallback={onSigninCallback}>
            <Root config={config} />
          </AuthProvider>
        </I18nProvider>
      </StrictMode>,
    ),
  (e: Error) => {
    const p = document.createElement("p");
    p.textContent = `The console cannot start: ${e.message}`;
    p.setAttribute("role", "alert");
    document.getElementById("root")!.replaceChildren(p);
  },
);
