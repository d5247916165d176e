import { defineConfig } from 'vite';

// Built with `vite build web`: the root is this folder, the output web/dist, served by the service.
export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: true },
  // `npx vite web` for UI work with hot reload, against a service running on :3000.
  server: { proxy: { '/api': 'http://127.0.0.1:3000' } },
});
