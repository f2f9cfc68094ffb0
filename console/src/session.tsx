import { createContext, useContext } from "react";
import type { Caller } from "./auth";
import type { Client } from "./api/client";
import type { ConsoleConfig } from "./config";

/** What every page gets: the configuration, the API client with the caller's token, who the caller is. */
export interface Session {
  config: ConsoleConfig;
  client: Client;
  caller: Caller;
  signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);

/** The signed-in session (pages render only inside one). */
export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a signed-in session");
  return s;
}

/** Whether the caller may change configuration (admins; technicians read, export and share). */
export function useIsAdmin(): boolean {
  return useSession().caller.role === "admin";
}
