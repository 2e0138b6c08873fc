import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is built into console/dist, which the OC serves at `/`. `npm run dev:console`
// serves it with hot reload and proxies /graphql (HTTP and WebSocket) to an OC on OC_URL.
const target = process.env.OC_URL ?? 'http://127.0.0.1:4000';
// A build is a production build even when run from a test (NODE_ENV=test would make React's development build).
if (process.argv.includes('build')) process.env.NODE_ENV = 'production';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    // CSP: no inline script or style; Vite's module preload polyfill would be an inline script.
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  server: {
    port: 5173,
    proxy: {
      '/graphql': { target, changeOrigin: true, ws: true },
    },
  },
});
