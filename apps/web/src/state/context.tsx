import { createContext, type ReactNode, useContext } from "react";
import type { AppController } from "./controller.ts";
import { useStore } from "./store.ts";
import type { AppState } from "./types.ts";

const ControllerContext = createContext<AppController | undefined>(undefined);

export function ControllerProvider(props: { controller: AppController; children: ReactNode }) {
  return (
    <ControllerContext.Provider value={props.controller}>
      {props.children}
    </ControllerContext.Provider>
  );
}

export function useController(): AppController {
  const controller = useContext(ControllerContext);
  if (controller === undefined) throw new Error("useController outside ControllerProvider");
  return controller;
}

/** A slice of the app state; the component re-renders when that slice changes. */
export function useAppState<S>(select: (state: AppState) => S): S {
  return useStore(useController().store, select);
}
