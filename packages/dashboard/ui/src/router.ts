import { useEffect, useState } from "react";

const listeners = new Set<(path: string) => void>();

/**
 * Goes to `path` without reloading the page.
 *
 * @example
 * navigate("/supplier/0x7099…");
 */
export function navigate(path: string): void {
  if (path === location.pathname) return;
  history.pushState(null, "", path);
  for (const l of listeners) l(path);
  window.scrollTo(0, 0);
}

/**
 * The current path, following links and the back button.
 *
 * @example
 * const path = usePath(); // "/console"
 */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const onPop = () => setPath(location.pathname);
    listeners.add(setPath);
    window.addEventListener("popstate", onPop);
    return () => {
      listeners.delete(setPath);
      window.removeEventListener("popstate", onPop);
    };
  }, []);
  return path;
}
