import { Navigate, Route, Routes, useLocation, useNavigate } from "react-router-dom";
import AppLayout from "@cloudscape-design/components/app-layout";
import SideNavigation from "@cloudscape-design/components/side-navigation";
import TopNavigation from "@cloudscape-design/components/top-navigation";
import { useIsAdmin, useSession } from "./session";
import { StatusPage } from "./pages/StatusPage";
import { DevicePage } from "./pages/DevicePage";
import { TechniciansPage } from "./pages/TechniciansPage";
import { SetupWizard } from "./pages/SetupWizard";
import { ManagePage } from "./pages/ManagePage";

/** The signed-in console: top bar (who, sign out), navigation, pages. Configuration pages are admins' only. */
export function App() {
  const { caller, signOut } = useSession();
  const admin = useIsAdmin();
  const navigate = useNavigate();
  const location = useLocation();
  const items = [
    { type: "link" as const, text: "Device status", href: "/status" },
    { type: "link" as const, text: "Technicians", href: "/technicians" },
    ...(admin
      ? [
          { type: "link" as const, text: "Set up", href: "/setup" },
          { type: "link" as const, text: "Manage", href: "/manage" },
        ]
      : []),
  ];
  return (
    <>
      <div id="top-nav">
        <TopNavigation
          identity={{ href: "/status", title: "Okta Device Trust" }}
          utilities={[
            {
              type: "menu-dropdown",
              text: `${caller.tenant} · ${caller.role}`,
              iconName: "user-profile",
              items: [{ id: "signout", text: "Sign out" }],
              onItemClick: (e) => e.detail.id === "signout" && signOut(),
            },
          ]}
        />
      </div>
      <AppLayout
        headerSelector="#top-nav"
        toolsHide
        ariaLabels={{
          navigation: "Navigation",
          navigationClose: "Close navigation",
          navigationToggle: "Open navigation",
          notifications: "Notifications",
        }}
        navigation={
          <SideNavigation
            header={{ href: "/status", text: "Device trust" }}
            activeHref={"/" + (location.pathname.split("/")[1] ?? "")}
            items={items}
            onFollow={(e) => {
              e.preventDefault();
              navigate(e.detail.href);
            }}
          />
        }
        content={
          <Routes>
            <Route path="/" element={<Navigate to="/status" replace />} />
            <Route path="/status" element={<StatusPage />} />
            <Route path="/devices/:deviceId" element={<DevicePage />} />
            <Route path="/technicians" element={<TechniciansPage />} />
            <Route path="/setup" element={admin ? <SetupWizard /> : <Navigate to="/status" replace />} />
            <Route path="/manage" element={admin ? <ManagePage /> : <Navigate to="/status" replace />} />
            <Route path="*" element={<Navigate to="/status" replace />} />
          </Routes>
        }
      />
    </>
  );
}
