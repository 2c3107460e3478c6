import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The SmartUI builds to web/dist; `powerauto serve` serves it at `/` beside the API.
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
    sourcemap: false,
  },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:7420', ws: true } } },
});
