/** Record ids: `<prefix>-<time base36>-<4 hex>`, sortable by creation and unique across offline peers. */
export function newId(prefix: string, now: number, random: () => number = Math.random): string {
  const suffix = Math.floor(random() * 0xffff)
    .toString(16)
    .padStart(4, "0")
  return `${prefix}-${now.toString(36)}-${suffix}`
}
