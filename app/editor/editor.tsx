"use client";
// Placeholder editor shell: lists the node palette from nodes.list (the full editor lands with issue F).
import { useEffect, useState } from "react";

interface NodeInfo {
  type: string;
  title: string;
  category: string;
}

export function Editor() {
  const [nodes, setNodes] = useState<NodeInfo[]>([]);
  useEffect(() => {
    fetch("/api/trpc/nodes.list")
      .then((r) => r.json())
      .then((j) => setNodes(j.result.data as NodeInfo[]))
      .catch(() => setNodes([]));
  }, []);
  return (
    <main className="p-6">
      <h1 className="text-xl font-semibold">ACE-Step Studio</h1>
      <ul className="mt-4 text-sm text-neutral-300">
        {nodes.map((n) => (
          <li key={n.type}>
            {n.category} / {n.title} <span className="text-neutral-500">({n.type})</span>
          </li>
        ))}
      </ul>
    </main>
  );
}
