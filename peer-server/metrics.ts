/** Relay counters, rendered in the Prometheus text format at GET /metrics. */

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
    return lines.join("\n") + "\n"
  }
}
