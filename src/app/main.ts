/** The control panel's entry: Pinia, the router, then the workspace session. */
import { createPinia } from "pinia"
import { createApp } from "vue"
import App from "./App.vue"
import { router } from "./router.ts"
import { useWorkspaceStore } from "./stores/workspace.ts"
import "./styles.css"

const app = createApp(App).use(createPinia()).use(router)
app.mount("#app")
void useWorkspaceStore().boot()
// The router's first navigation writes back the URL it started with: drop a join secret after it.
void router.isReady().then(async () => {
  if (router.currentRoute.value.hash.includes("join=")) await router.replace({ hash: "" })
})
