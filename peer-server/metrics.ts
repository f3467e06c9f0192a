/** Relay counters, rendered in the Prometheus text format at GET /metrics. */
import type { WebSocket } from "ws"
import type { RelayExtension } from "./extension.ts"
import type { ForwardingStats } from "./transport/liveForwarding.ts"
import { isRead, send } from "./http.ts"

export class RelayMetrics {
  connectedPeers = 0
  documentsLoaded = 0
  messagesIn = 0
  messagesOut = 0
  bytesIn = 0
  bytesOut = 0
  authFailures = 0
  connectionsClosed = 0
  dataIssues = 0
  storageFailing = 0
  storageWriteFailures = 0
  damagedChunks = 0
  ephemeralDropped = 0
  presenceShed = 0
  /** Live forwarding's figures, when the relay forwards. */
  forwarding?: () => ForwardingStats

  render(): string {
    const lines: string[] = []
    const metric = (name: string, type: "gauge" | "counter", help: string, value: number) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`)
    }
    metric("vivarium_connected_peers", "gauge", "WebSocket peers connected now", this.connectedPeers)
    metric("vivarium_documents_loaded", "gauge", "Documents held in the relay's memory", this.documentsLoaded)
    metric("vivarium_sync_messages_in_total", "counter", "Sync protocol messages received", this.messagesIn)
    metric("vivarium_sync_messages_out_total", "counter", "Sync protocol messages sent", this.messagesOut)
    metric("vivarium_sync_bytes_in_total", "counter", "Sync protocol bytes received", this.bytesIn)
    metric("vivarium_sync_bytes_out_total", "counter", "Sync protocol bytes sent", this.bytesOut)
    metric("vivarium_auth_failures_total", "counter", "Connections and requests refused for a missing or wrong secret or key proof", this.authFailures)
    metric("vivarium_connections_closed_total", "counter", "Connections the relay closed for a malformed, oversized or too frequent message", this.connectionsClosed)
    metric("vivarium_data_issues", "gauge", "Schema problems found in workspace documents now", this.dataIssues)
    metric("vivarium_storage_failing", "gauge", "1 while storage writes fail (disk full, I/O error); the relay refuses new writes", this.storageFailing)
    metric("vivarium_storage_write_failures_total", "counter", "Storage write attempts that failed (each retry counts)", this.storageWriteFailures)
    metric("vivarium_storage_damaged_chunks", "gauge", "Damaged storage chunks found at load and moved aside", this.damagedChunks)
    metric("vivarium_ephemeral_dropped_total", "counter", "Ephemeral messages (presence, live task output) dropped as malformed, misaddressed or too fast", this.ephemeralDropped)
    metric("vivarium_presence_shed_total", "counter", "Presence messages dropped while the relay sheds load (live forwarding's batches widened)", this.presenceShed)
    const f = this.forwarding?.()
    if (f) {
      metric("vivarium_forward_live_pairs", "gauge", "Peer-document pairs in step with the relay, served by forwarding changes", f.livePairs)
      metric("vivarium_forward_window_ms", "gauge", "Widest coalescing window of a document now; above its base the relay is shedding load", f.windowMs)
      metric("vivarium_forward_lag_ms", "gauge", "How late forwarding flushes ran behind their window, smoothed (saturation)", round(f.lagMs))
      metric("vivarium_forward_messages_total", "counter", "Sync messages sent by forwarding", f.messagesSent)
      metric("vivarium_forward_changes_total", "counter", "Changes carried by forwarded messages", f.changesSent)
      metric("vivarium_forward_taken_total", "counter", "Messages of live peers handled by forwarding", f.messagesTaken)
      metric("vivarium_forward_answers_total", "counter", "Messages of live peers that carried nothing new (a batch answered though it needs no answer)", f.answersTaken)
      metric("vivarium_forward_fallbacks_total", "counter", "Times a peer left forwarding for the full sync protocol", f.fallbacks)
    }
    return lines.join("\n") + "\n"
  }
}

const round = (v: number) => Math.round(v * 10) / 10

/** Counts sync traffic per socket (each frame is one repo message). */
function countTraffic(socket: WebSocket, metrics: RelayMetrics): void {
  metrics.connectedPeers++
  socket.on("message", (data: Buffer | ArrayBuffer | Buffer[]) => {
    metrics.messagesIn++
    metrics.bytesIn += Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength
  })
  socket.once("close", () => metrics.connectedPeers--)
  const send = socket.send.bind(socket) as (data: Uint8Array, ...rest: unknown[]) => void
  socket.send = ((data: Uint8Array, ...rest: unknown[]) => {
    metrics.messagesOut++
    metrics.bytesOut += data.byteLength ?? 0
    send(data, ...rest)
  }) as typeof socket.send
}

/** Traffic and closed connections counted, GET /metrics answered. */
export function metricsEndpoint(): RelayExtension {
  let metrics: RelayMetrics | undefined
  let log: (line: string) => void = () => {}
  let documents = () => 0
  return {
    name: "metrics",
    onStart(ctx) {
      metrics = ctx.metrics
      log = ctx.log
      documents = () => Object.keys(ctx.repo.handles).length
    },
    onConnect(socket) {
      if (metrics) countTraffic(socket, metrics)
    },
    onConnectionClosed({ peer, code, reason }) {
      if (metrics) metrics.connectionsClosed++
      log(`closed the connection of ${peer}: ${code} ${reason}`)
    },
    onRequest(req, res, path) {
      if (path !== "/metrics" || !isRead(req) || !metrics) return false
      metrics.documentsLoaded = documents()
      send(res, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render())
      return true
    },
  }
}
