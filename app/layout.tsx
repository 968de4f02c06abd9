import type { ReactNode } from "react";
import "./globals.css";
import "@xyflow/react/dist/style.css";

export const metadata = { title: "ACE-Step Studio", description: "Node-based ACE-Step 1.5 music generation" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="h-full bg-neutral-950 text-neutral-100">{children}</body>
    </html>
  );
}
