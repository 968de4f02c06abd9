"use client";
// Short-lived messages (refused connections, saves, errors).
import { useCallback, useRef, useState } from "react";

export interface Toast {
  id: number;
  message: string;
  kind: "info" | "error";
}

export function useToasts() {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const notify = useCallback((message: string, kind: "info" | "error" = "info") => {
    const id = next.current++;
    setToasts((t) => [...t.slice(-4), { id, message, kind }]);
    setTimeout(() => setToasts((t) => t.filter((x) => x.id !== id)), kind === "error" ? 9000 : 4000);
  }, []);
  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  return { toasts, notify, dismiss };
}

export function Toasts({ toasts, dismiss }: { toasts: Toast[]; dismiss(id: number): void }) {
  return (
    <div className="pointer-events-none fixed bottom-10 left-1/2 z-50 flex -translate-x-1/2 flex-col items-center gap-1.5">
      {toasts.map((t) => (
        <div
          key={t.id}
          role={t.kind === "error" ? "alert" : "status"}
          data-testid="toast"
          className={`pointer-events-auto max-w-xl cursor-pointer rounded px-3 py-1.5 text-sm shadow-lg ${t.kind === "error" ? "bg-red-900 text-red-50" : "bg-neutral-800 text-neutral-100"}`}
          onClick={() => dismiss(t.id)}
        >
          {t.message}
        </div>
      ))}
    </div>
  );
}
