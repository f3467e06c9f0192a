/** The views; web history so the join link's `#join=` fragment stays free. */
import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router"

export const NAV = [
  { path: "/", name: "dashboard", label: "Dashboard", component: () => import("./views/DashboardView.vue") },
  { path: "/queue", name: "queue", label: "Queue", component: () => import("./views/QueueView.vue") },
  { path: "/plans", name: "plans", label: "Plans", component: () => import("./views/PlansView.vue") },
  { path: "/skills", name: "skills", label: "Skills", component: () => import("./views/SkillsView.vue") },
  { path: "/hats", name: "hats", label: "Hats", component: () => import("./views/HatsView.vue") },
  { path: "/proposals", name: "proposals", label: "Proposals", component: () => import("./views/ProposalsView.vue") },
  { path: "/workers", name: "workers", label: "Workers", component: () => import("./views/WorkersView.vue") },
  { path: "/runtime", name: "runtime", label: "Runtime", component: () => import("./views/RuntimeView.vue") },
  { path: "/residents", name: "residents", label: "Residents", component: () => import("./views/ResidentsView.vue") },
  { path: "/rooms", name: "rooms", label: "Rooms & DMs", component: () => import("./views/RoomsView.vue") },
  { path: "/quests", name: "quests", label: "Mailbox & Quests", component: () => import("./views/QuestsView.vue") },
  { path: "/bounties", name: "bounties", label: "Bounties", component: () => import("./views/BountiesView.vue") },
  { path: "/artifacts", name: "artifacts", label: "Artifacts", component: () => import("./views/ArtifactsView.vue") },
  { path: "/community", name: "community", label: "Guilds & Reviews", component: () => import("./views/CommunityView.vue") },
  { path: "/audit", name: "audit", label: "Audit", component: () => import("./views/AuditView.vue") },
  { path: "/history", name: "history", label: "History", component: () => import("./views/HistoryView.vue") },
  { path: "/settings", name: "settings", label: "Settings", component: () => import("./views/SettingsView.vue") },
] as const

const routes: RouteRecordRaw[] = [
  ...NAV.map(({ path, name, component }) => ({ path, name, component })),
  { path: "/tasks/:id", name: "task", component: () => import("./views/TaskDetailView.vue"), props: true },
  { path: "/plans/:id", name: "plan", component: () => import("./views/PlanDetailView.vue"), props: true },
  { path: "/skills/:id", name: "skill", component: () => import("./views/SkillDetailView.vue"), props: true },
  { path: "/rooms/:id", name: "room", component: () => import("./views/RoomsView.vue"), props: true },
  { path: "/quests/:id", name: "quest", component: () => import("./views/QuestDetailView.vue"), props: true },
  { path: "/artifacts/:id", name: "artifact", component: () => import("./views/ArtifactsView.vue"), props: true },
  { path: "/residents/:id", name: "resident", component: () => import("./views/ResidentsView.vue"), props: true },
  { path: "/:rest(.*)*", redirect: "/" },
]

export const router = createRouter({ history: createWebHistory(), routes })
