// A React hook giving the current time that re-renders every second while a ticker is on screen.
import { useEffect, useState } from 'react';

/**
 * The current UTC ms, refreshed every `intervalMs` (default 1000) while `active`; frozen otherwise.
 * Use it in the smallest component that shows a running time, so only that component re-renders.
 */
export function useNow(active: boolean, intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(t);
  }, [active, intervalMs]);
  return now;
}
