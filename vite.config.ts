/**
 * The PWA build: Vue 3 app in src/app, built into dist/app and served by the relay.
 * The service worker precaches the app shell and the Automerge WASM (3.6 MB, hence the
 * raised size limit) so the app starts with no network after one visit.
 */
import vue from "@vitejs/plugin-vue"
import { fileURLToPath } from "node:url"
import { defineConfig } from "vite"
import { VitePWA } from "vite-plugin-pwa"

export const APP_THEME = "#1f6f50"

export default defineConfig({
  root: fileURLToPath(new URL("src/app", import.meta.url)),
  publicDir: fileURLToPath(new URL("src/app/public", import.meta.url)),
  build: {
    outDir: fileURLToPath(new URL("dist/app", import.meta.url)),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1024,
  },
  plugins: [
    vue(),
    VitePWA({
      registerType: "autoUpdate",
      injectRegister: "script-defer",
      manifest: {
        id: "/",
        name: "Vivarium control panel",
        short_name: "Vivarium",
        description: "Local-first workspace for operators and AI residents",
        start_url: "/",
        scope: "/",
        display: "standalone",
        background_color: "#f6f7f5",
        theme_color: APP_THEME,
        icons: [
          { src: "icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
          { src: "icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
          { src: "icons/icon-maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
      },
      workbox: {
        globPatterns: ["**/*.{js,css,html,wasm,png,svg,ico,webmanifest}"],
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: "index.html",
        // Relay routes are live data, never the app shell.
        navigateFallbackDenylist: [/^\/api\//, /^\/healthz/, /^\/metrics/, /^\/trust$/, /^\/ca\.(crt|pem)$/],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
})
