import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import AutoImport from 'unplugin-auto-import/vite';
import { ElementPlusResolver } from 'unplugin-vue-components/resolvers';
import Components from 'unplugin-vue-components/vite';
import { defineConfig } from 'vite';

// The api serves the built console at /console/ (same origin, so no CORS and the refresh cookie
// is first-party). `npm --prefix web run dev` runs Vite with HMR and proxies /api to an api on
// XINYI_API (default http://127.0.0.1:3000).
const api = process.env.XINYI_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  base: '/console/',
  plugins: [
    vue(),
    // Element Plus on demand: only the components and their CSS that the pages use are bundled.
    AutoImport({ resolvers: [ElementPlusResolver()], dts: 'src/auto-imports.d.ts' }),
    Components({ resolvers: [ElementPlusResolver()], dts: 'src/components.d.ts', dirs: [] }),
  ],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  server: {
    port: 5173,
    host: '127.0.0.1',
    proxy: { '/api': { target: api, changeOrigin: false } },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline module preload polyfill: the CSP allows no inline script.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 800,
  },
});
