// Next.js config: the editor only; the API runs in the same process through our server.
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  serverExternalPackages: ["onnxruntime-node", "better-sqlite3"],
  devIndicators: false,
  // Type checking is done by `npm test` (tsc --noEmit over the whole project), not at every build.
  typescript: { ignoreBuildErrors: true },
};

export default nextConfig;
