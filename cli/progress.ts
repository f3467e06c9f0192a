/**
 * A transient line on an interactive terminal while a command waits (loading, connecting to the
 * relay, reading the workspace): the command says what it is doing within a few tens of
 * milliseconds instead of staying silent until its result is ready. Only on a terminal (stderr
 * is a TTY): scripts and pipes see the result alone. The line is erased before anything else
 * is written, so results and errors print as if it had never been there.
 */
type Write = typeof process.stderr.write

let restore: (() => void) | undefined

/** Shows (or replaces) the progress line on stderr when stderr is a terminal. */
export function showProgress(text: string, stream: NodeJS.WriteStream = process.stderr): void {
  if (!stream.isTTY) return
  const columns = stream.columns || 80
  const line = text.length >= columns ? `${text.slice(0, columns - 2)}…` : text
  if (!restore) erasePromptlyBeforeOtherOutput(stream)
  originalWrite(stream)(`\r\x1b[2K${line}`)
}

/** Erases the progress line, if one is shown. */
export function clearProgress(): void {
  restore?.()
}

const originals = new WeakMap<NodeJS.WriteStream, Write>()
function originalWrite(stream: NodeJS.WriteStream): (text: string) => void {
  const write = originals.get(stream) ?? stream.write
  return text => void write.call(stream, text)
}

/** Until the line is erased, the first write on stdout or stderr erases it first. */
function erasePromptlyBeforeOtherOutput(progressStream: NodeJS.WriteStream): void {
  const streams = [process.stdout, process.stderr]
  for (const stream of streams) originals.set(stream, stream.write)
  restore = () => {
    restore = undefined
    for (const stream of streams) stream.write = originals.get(stream)!
    originalWrite(progressStream)("\r\x1b[2K")
  }
  for (const stream of streams)
    stream.write = ((...args: Parameters<Write>) => {
      restore?.()
      return stream.write(...args)
    }) as Write
}
