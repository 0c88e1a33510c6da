import { fileURLToPath } from 'node:url';
import { VantResolver } from '@vant/auto-import-resolver';
import vue from '@vitejs/plugin-vue';
import Components from 'unplugin-vue-components/vite';
import { defineConfig } from 'vite';

// The resident's phone page (web/resident): its own small app, built beside the console into
// dist/resident and served by the api at /r/. Vant components on demand (only those the page
// uses, with their CSS); no router, no store, no Element Plus: the first load must stay small.
const api = process.env.XINYI_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: fileURLToPath(new URL('./resident', import.meta.url)),
  base: '/r/',
  plugins: [vue(), Components({ resolvers: [VantResolver()], dts: fileURLToPath(new URL('./resident/src/components.d.ts', import.meta.url)), dirs: [] })],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  server: { port: 5174, host: '127.0.0.1', proxy: { '/api': { target: api, changeOrigin: false } } },
  build: {
    outDir: fileURLToPath(new URL('./dist/resident', import.meta.url)),
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    // Older Android WebViews (Chrome 87+, the cheap phones' system WebView of recent years).
    target: ['es2020', 'chrome87'],
  },
});
