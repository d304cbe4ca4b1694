// The console is built into dist/ as static files; the API serves them under /admin, on its own origin.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  base: '/admin/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The Content-Security-Policy allows scripts and styles from the API's origin only: nothing inlined.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `pnpm --filter @herald/admin dev`: the API (default port 8080) answers the console's requests.
    proxy: { '/v1': 'http://127.0.0.1:8080', '/admin/queues': 'http://127.0.0.1:8080' },
  },
});
