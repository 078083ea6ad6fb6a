"use client";
/**
 * Code that the dashboard does not need before the first interaction, loaded on demand (React.lazy;
 * not next/dynamic, whose own runtime is about 3 kB gzip more in the first load). Two kinds:
 *
 * - `deferred`: rendered on the server as usual (the HTML is complete at first paint), but its code
 *   is not among the page's first scripts: the browser fetches it while hydrating the rest, and
 *   React hydrates the part once it arrives (its own Suspense boundary keeps the server's HTML
 *   meanwhile; a click on it is replayed after). Memoized, so a parent's re-render (a ticking
 *   clock) does not reach a part still waiting for its code.
 * - `clientOnly`: nothing on the server (a chart, a dialog that starts closed); loaded after
 *   hydration, only where it is rendered.
 *
 * `npm run bench` measures what stays (first_load_js_kb, bench/results/README.md).
 */
import { lazy, memo, Suspense, useSyncExternalStore, type ComponentType, type ReactNode } from "react";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyProps = Record<string, any>;

export function deferred<P extends AnyProps>(load: () => Promise<ComponentType<P>>, fallback?: (props: P) => ReactNode): ComponentType<P> {
  const Lazy = lazy(async () => ({ default: await load() }));
  const Part = memo(function DeferredPart(props: P) {
    return (
      <Suspense fallback={fallback ? fallback(props) : null}>
        <Lazy {...props} />
      </Suspense>
    );
  });
  // What is exported is a plain function, not the memo object itself: a server component renders
  // these parts through the RSC payload, whose client references reach React wrapped in a lazy
  // type, and React matches a lazy type against the function it resolved to. A memo resolves to
  // its inner function instead, so every refresh of the page (router.refresh, or a server action
  // that sets a cookie: the re-authentication) remounted each part and lost its state (an open
  // action dialog among them).
  return function Deferred(props: P) {
    return <Part {...props} />;
  };
}

const noSubscription = () => () => {};

/** True once hydrated (false on the server and during hydration, so both render the same). */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
}

export function clientOnly<P extends AnyProps>(load: () => Promise<ComponentType<P>>, fallback?: () => ReactNode): ComponentType<P> {
  const Lazy = lazy(async () => ({ default: await load() }));
  return function ClientOnly(props: P) {
    const hydrated = useHydrated();
    const placeholder = fallback ? fallback() : null;
    if (!hydrated) return placeholder;
    return (
      <Suspense fallback={placeholder}>
        <Lazy {...props} />
      </Suspense>
    );
  };
}
