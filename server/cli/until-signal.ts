// Graceful stop of a serving process on SIGTERM or SIGINT: stop accepting connections, then close the app
// context (running runs are re-queued, queued runs stay queued, models and the store close cleanly).
import type { Server } from "node:http";
import type { AppContext } from "../app-context";

/** Resolves once a signal came and the server and the app are closed. */
export async function serveUntilSignal(server: Server, app: AppContext): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = () => {
      console.log("shutting down…");
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      server.close(() => resolve());
      server.closeAllConnections();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await app.close();
}
